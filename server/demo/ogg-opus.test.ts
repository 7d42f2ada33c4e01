import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { oggCrc, oggPackets, opusPacketDurationUs, parseOggOpus, parseOpusHead } from './ogg-opus.ts';

/** One Ogg page around `segments` (each a lacing value's worth of bytes), with a valid checksum. */
function page(segments: Uint8Array[], opts: { flags?: number; serial?: number; seq?: number; version?: number } = {}) {
  const body = segments.reduce((n, s) => n + s.length, 0);
  const out = new Uint8Array(27 + segments.length + body);
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53], 0); // OggS
  out[4] = opts.version ?? 0;
  out[5] = opts.flags ?? 0;
  view.setUint32(14, opts.serial ?? 7, true);
  view.setUint32(18, opts.seq ?? 0, true);
  out[26] = segments.length;
  segments.forEach((s, i) => {
    out[27 + i] = s.length;
  });
  let o = 27 + segments.length;
  for (const s of segments) {
    out.set(s, o);
    o += s.length;
  }
  view.setUint32(22, oggCrc(out), true);
  return out;
}

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const join2 = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

test('oggPackets: packets end at a lacing value under 255 and may run over pages', () => {
  const onePage = oggPackets(page([bytes(3, 1), bytes(0, 0), bytes(5, 2)]));
  assert.ok(onePage.ok);
  assert.deepEqual(
    onePage.value.map((p) => p.length),
    [3, 0, 5],
  );
  // A 300-byte packet: 255 on the first page, 45 on a continuation page.
  const spanning = join2(page([bytes(255, 9)]), page([bytes(45, 9), bytes(2, 3)], { flags: 1, seq: 1 }));
  const r = oggPackets(spanning);
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.deepEqual(
    r.value.map((p) => [p.length, p[0]]),
    [
      [300, 9],
      [2, 3],
    ],
  );
});

test('oggPackets: broken files are refused with a reason, never a throw', () => {
  const good = page([bytes(4, 1)]);
  const flip = (at: number) => {
    const b = good.slice();
    b[at] = b[at]! ^ 0xff;
    return b;
  };
  const table: Array<[string, Uint8Array, RegExp]> = [
    ['no capture pattern', flip(0), /OggS/],
    ['a later Ogg version', page([bytes(4, 1)], { version: 1 }), /version 1/],
    ['a flipped body byte', flip(good.length - 1), /checksum/],
    ['a truncated header', good.subarray(0, 20), /truncated Ogg page header/],
    ['a truncated body', good.subarray(0, good.length - 1), /past the end/],
    ['two logical streams', join2(good, page([bytes(1, 1)], { serial: 8, seq: 1 })), /more than one logical stream/],
    ['a continuation with nothing to continue', page([bytes(4, 1)], { flags: 1 }), /continues no packet/],
    ['a packet cut short', join2(page([bytes(255, 1)]), page([bytes(1, 1)], { seq: 1 })), /cut short/],
    ['an unfinished last packet', page([bytes(255, 1)]), /unfinished/],
  ];
  for (const [what, input, re] of table) {
    const r = oggPackets(input);
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.match(r.error, re, what);
  }
});

test('opusPacketDurationUs: TOC config and frame count (RFC 6716 3.1)', () => {
  const toc = (config: number, code: number) => (config << 3) | code;
  const table: Array<[string, number[], number | null]> = [
    ['SILK 10 ms, one frame', [toc(0, 0)], 10_000],
    ['SILK 60 ms, one frame', [toc(11, 0)], 60_000],
    ['hybrid 20 ms, two equal frames', [toc(15, 1)], 40_000],
    ['CELT 2.5 ms, two frames of different size', [toc(16, 2)], 5_000],
    ['CELT 20 ms, code 3 with 3 frames', [toc(31, 3), 3], 60_000],
    ['CELT 20 ms, code 3 with 6 frames (120 ms, the most)', [toc(31, 3), 6], 120_000],
    ['code 3 with 7 x 20 ms: over 120 ms', [toc(31, 3), 7], null],
    ['code 3 with 0 frames', [toc(31, 3), 0], null],
    ['code 3 without its count byte', [toc(31, 3)], null],
    ['empty', [], null],
  ];
  for (const [what, packet, us] of table) assert.equal(opusPacketDurationUs(Uint8Array.from(packet)), us, what);
});

test('parseOpusHead: the fields, and refusals', () => {
  const head = Uint8Array.from([
    ...'OpusHead'.split('').map((c) => c.charCodeAt(0)),
    1, // version
    2, // channels
    0x38,
    0x01, // pre-skip 312
    0x80,
    0xbb,
    0x00,
    0x00, // 48000 Hz
    0x00,
    0x00, // gain
    0, // mapping family
  ]);
  assert.deepEqual(parseOpusHead(head), {
    ok: true,
    value: { channels: 2, preSkip: 312, inputSampleRate: 48000, mappingFamily: 0 },
  });
  const patched = (at: number, v: number) => {
    const b = head.slice();
    b[at] = v;
    return b;
  };
  for (const [what, input, re] of [
    ['too short', head.subarray(0, 18), /not an OpusHead/],
    ['another magic', patched(0, 0x6f), /not an OpusHead/],
    ['version 16', patched(8, 16), /version 16/],
    ['no channels', patched(9, 0), /0 channels/],
  ] as const) {
    const r = parseOpusHead(input);
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.match(r.error, re, what);
  }
});

test('the committed audio fixture: small, mono 48 kHz Opus, 3 s of 60 ms packets, checksums good', () => {
  const file = join(import.meta.dirname, 'beep-opus-60ms.ogg');
  assert.ok(statSync(file).size < 32 * 1024);
  const r = parseOggOpus(new Uint8Array(readFileSync(file)));
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.deepEqual(r.value.head, { channels: 1, preSkip: 312, inputSampleRate: 48000, mappingFamily: 0 });
  assert.equal(r.value.headBytes.length, 19);
  assert.ok(r.value.packets.every((p) => opusPacketDurationUs(p) === 60_000));
  // 3 s of sound plus the encoder's look-ahead, padded to whole packets.
  assert.equal(r.value.packets.length, Math.ceil((3 * 48_000 + 312) / 2880));
});
