import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_FIXTURE_FILE, loadDemoFixture } from './demo-streams.ts';
import { parseIvf } from './ivf.ts';

test('the committed fixture: small VP8 320x180 at 30 fps with a keyframe at least every 2 s', () => {
  assert.ok(statSync(join(import.meta.dirname, DEMO_FIXTURE_FILE)).size < 256 * 1024);
  const ivf = loadDemoFixture();
  assert.equal(ivf.fourcc, 'VP80');
  assert.deepEqual([ivf.width, ivf.height], [320, 180]);
  assert.equal(ivf.timebaseDenominator / ivf.timebaseNumerator, 30);
  assert.ok(ivf.frames.length >= 60, `${ivf.frames.length} frames`);
  assert.equal(ivf.frames[0]!.keyframe, true);
  let sinceKey = 0;
  for (const frame of ivf.frames) {
    sinceKey = frame.keyframe ? 0 : sinceKey + 1;
    assert.ok(sinceKey < 60, 'a keyframe at least every 60 frames (2 s)');
  }
  // Looping from the last frame back to the first must also stay within 2 s of a keyframe.
  const lastKey = ivf.frames.findLastIndex((f) => f.keyframe);
  assert.ok(ivf.frames.length - lastKey <= 60);
  assert.deepEqual(
    ivf.frames.map((f) => f.timestamp),
    ivf.frames.map((_, i) => i),
    'one timebase tick per frame',
  );
});

function ivfBytes(frames: Array<{ size: number; first?: number }>, fourcc = 'VP80'): Uint8Array {
  const total = 32 + frames.reduce((n, f) => n + 12 + f.size, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('DKIF'), 0);
  view.setUint16(6, 32, true);
  out.set(new TextEncoder().encode(fourcc), 8);
  view.setUint16(12, 16, true);
  view.setUint16(14, 16, true);
  view.setUint32(16, 30, true);
  view.setUint32(20, 1, true);
  let at = 32;
  frames.forEach((f, i) => {
    view.setUint32(at, f.size, true);
    view.setUint32(at + 4, i, true);
    if (f.size > 0) out[at + 12] = f.first ?? 0;
    at += 12 + f.size;
  });
  return out;
}

test('IVF parser: keyframe flags from the VP8 frame tag, clear errors on bad files', () => {
  const good = parseIvf(
    ivfBytes([
      { size: 3, first: 0x10 },
      { size: 2, first: 0x11 },
    ]),
  );
  assert.ok(good.ok);
  assert.deepEqual(
    good.value.frames.map((f) => [f.timestamp, f.keyframe, f.data.byteLength]),
    [
      [0, true, 3],
      [1, false, 2],
    ],
  );
  const rows: Array<[Uint8Array, RegExp]> = [
    [new Uint8Array(10), /shorter/],
    [ivfBytes([{ size: 1 }]).map((b, i) => (i === 0 ? 0x41 : b)), /DKIF/],
    [ivfBytes([{ size: 1 }], 'H264'), /unsupported codec/],
    [ivfBytes([]), /no frames/],
    [ivfBytes([{ size: 2, first: 1 }]), /start with a keyframe/],
    [ivfBytes([{ size: 4 }]).subarray(0, 32 + 12 + 2), /claims 4 bytes/],
    [ivfBytes([{ size: 4 }]).subarray(0, 32 + 5), /truncated frame header/],
    [ivfBytes([{ size: 0 }]), /claims 0 bytes/],
  ];
  for (const [bytes, re] of rows) {
    const r = parseIvf(bytes);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, re);
  }
});
