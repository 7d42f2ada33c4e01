import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AUDIO_FRAME_MAX_SPAN_US,
  AUDIO_MAX_PACKETS_PER_FRAME,
  AudioFramer,
  decodeAudioPayload,
  encodeAudioFrame,
  encodeAudioPayload,
} from './audio-packets.ts';
import { decodeFrame, FRAME_HEADER_BYTES, TRACK_AUDIO } from './protocol.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

test('audio payloads: the byte layout, table by table', () => {
  const cases: Array<[string, Array<[number, number[]]>, number[]]> = [
    ['one packet', [[0, [0xfc, 1]]], [1, 0, 0, 0, 0, 0, 2, 0xfc, 1]],
    [
      'two 60 ms packets',
      [
        [0, [7]],
        [60_000, [8, 9]],
      ],
      [2, 0, 0, 0, 0, 0, 1, 7, 0, 0, 0xea, 0x60, 0, 2, 8, 9],
    ],
  ];
  for (const [what, packets, wire] of cases) {
    const encoded = encodeAudioPayload(packets.map(([offsetUs, data]) => ({ offsetUs, data: bytes(...data) })));
    assert.deepEqual([...encoded], wire, what);
    const decoded = decodeAudioPayload(encoded);
    assert.ok(decoded.ok, what);
    assert.deepEqual(
      decoded.value.map((p) => [p.offsetUs, [...p.data]]),
      packets,
      what,
    );
  }
});

test('audio frames round-trip through the frame layout at the first packet time', () => {
  const frame = encodeAudioFrame(5_000_000, [
    { offsetUs: 0, data: bytes(1, 2, 3) },
    { offsetUs: 60_000, data: bytes(4) },
    { offsetUs: 120_000, data: bytes(5, 6) },
  ]);
  const decoded = decodeFrame(frame);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.track, TRACK_AUDIO);
  assert.equal(decoded.value.keyframe, false);
  assert.equal(decoded.value.timestampUs, 5_000_000);
  assert.equal(frame.byteLength, FRAME_HEADER_BYTES + 1 + 3 * 6 + 6);
  const packets = decodeAudioPayload(decoded.value.payload);
  assert.ok(packets.ok);
  assert.deepEqual(
    packets.value.map((p) => [p.offsetUs, [...p.data]]),
    [
      [0, [1, 2, 3]],
      [60_000, [4]],
      [120_000, [5, 6]],
    ],
  );
});

test('malformed audio payloads are refused with a reason', () => {
  const good = [
    ...encodeAudioPayload([
      { offsetUs: 0, data: bytes(7) },
      { offsetUs: 60_000, data: bytes(8) },
    ]),
  ];
  const cases: Array<[string, number[], RegExp]> = [
    ['empty', [], /packet count 0/],
    ['no packets', [0], /packet count 0/],
    ['too many packets', [AUDIO_MAX_PACKETS_PER_FRAME + 1, ...good.slice(1)], /packet count 9/],
    ['header cut off', good.slice(0, 10), /packet 1 of 2 is cut off/],
    ['packet cut off', good.slice(0, -1), /packet 1 length 1 does not fit/],
    ['zero-length packet', [1, 0, 0, 0, 0, 0, 0], /packet 0 length 0/],
    ['first offset not 0', [1, 0, 0, 0, 1, 0, 1, 7], /packet 0 offset 1/],
    ['offsets not rising', [2, 0, 0, 0, 0, 0, 1, 7, 0, 0, 0, 0, 0, 1, 8], /packet 1 offset 0/],
    ['offset past the span', [2, 0, 0, 0, 0, 0, 1, 7, 0, 0x0f, 0x42, 0x41, 0, 1, 8], /packet 1 offset 1000001/],
    ['trailing bytes', [...good, 0], /1 bytes after its 2 packets/],
  ];
  for (const [what, wire, re] of cases) {
    const r = decodeAudioPayload(bytes(...wire));
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.match(r.error, re, what);
  }
  // The edges that are fine.
  assert.ok(decodeAudioPayload(bytes(2, 0, 0, 0, 0, 0, 1, 7, 0, 0x0f, 0x42, 0x40, 0, 1, 8)).ok, 'offset at the span');
});

test('encodeAudioPayload refuses misuse', () => {
  const p = (offsetUs: number, n = 1) => ({ offsetUs, data: new Uint8Array(n) });
  const cases: Array<[string, Array<{ offsetUs: number; data: Uint8Array }>]> = [
    ['none', []],
    ['too many', Array.from({ length: AUDIO_MAX_PACKETS_PER_FRAME + 1 }, (_, i) => p(i))],
    ['first not at 0', [p(5)]],
    ['not rising', [p(0), p(0)]],
    ['past the span', [p(0), p(AUDIO_FRAME_MAX_SPAN_US + 1)]],
    ['empty packet', [p(0, 0)]],
    ['packet over 64 KiB', [p(0, 0x10000)]],
  ];
  for (const [what, packets] of cases) assert.throws(() => encodeAudioPayload(packets), RangeError, what);
  for (const ts of [-1, 0.5, 2 ** 53]) assert.throws(() => encodeAudioFrame(ts, [p(0)]), RangeError, String(ts));
  assert.equal(encodeAudioPayload(Array.from({ length: AUDIO_MAX_PACKETS_PER_FRAME }, (_, i) => p(i))).at(0), 8);
});

/** What a framer hands out, as [frame timestamp, packet offsets] per frame. */
function shape(frames: Uint8Array[]): Array<[number, number[]]> {
  return frames.map((f) => {
    const frame = decodeFrame(f);
    assert.ok(frame.ok);
    const packets = decodeAudioPayload(frame.value.payload);
    assert.ok(packets.ok);
    return [frame.value.timestampUs, packets.value.map((p) => p.offsetUs)];
  });
}

test('AudioFramer gathers consecutive packets; a gap, a step back or a flush sends what it has', () => {
  const cases: Array<[string, number, number[], Array<[number, number[]]>, number]> = [
    [
      'pairs of 60 ms packets',
      2,
      [0, 60_000, 120_000, 180_000, 240_000],
      [
        [0, [0, 60_000]],
        [120_000, [0, 60_000]],
      ],
      1,
    ],
    [
      'one per frame',
      1,
      [10, 20],
      [
        [10, [0]],
        [20, [0]],
      ],
      0,
    ],
    ['threes', 3, [0, 60_000, 120_000], [[0, [0, 60_000, 120_000]]], 0],
    ['a packet from before: a new timeline', 2, [500_000, 100], [[500_000, [0]]], 1],
    [
      'a packet over the span later',
      2,
      [0, AUDIO_FRAME_MAX_SPAN_US + 1, AUDIO_FRAME_MAX_SPAN_US + 60_001],
      [
        [0, [0]],
        [AUDIO_FRAME_MAX_SPAN_US + 1, [0, 60_000]],
      ],
      0,
    ],
    ['a packet at the span: same frame', 2, [0, AUDIO_FRAME_MAX_SPAN_US], [[0, [0, AUDIO_FRAME_MAX_SPAN_US]]], 0],
  ];
  for (const [what, perFrame, timestamps, frames, pending] of cases) {
    const framer = new AudioFramer(perFrame);
    const out = timestamps.flatMap((ts) => framer.add(ts, bytes(1)));
    assert.deepEqual(shape(out), frames, what);
    assert.equal(framer.pending, pending, what);
  }
  const framer = new AudioFramer(2);
  framer.add(7, bytes(1));
  assert.deepEqual(shape([framer.flush()!]), [[7, [0]]]);
  assert.equal(framer.flush(), null);
  framer.add(8, bytes(1));
  framer.clear();
  assert.equal(framer.pending, 0);
  for (const n of [0, AUDIO_MAX_PACKETS_PER_FRAME + 1, 1.5]) assert.throws(() => new AudioFramer(n), RangeError);
});
