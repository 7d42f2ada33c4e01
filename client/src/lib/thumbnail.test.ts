import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  afterUpload,
  encodeStill,
  type ShownThumbnail,
  type StillEncoder,
  shouldShow,
  stillHeight,
  thumbnailUrl,
} from './thumbnail.ts';

test('thumbnailUrl: one URL per version, the id encoded', () => {
  assert.equal(
    thumbnailUrl('01J0000000000000000000000A', 17),
    '/api/streams/01J0000000000000000000000A/thumbnail?v=17',
  );
  assert.equal(thumbnailUrl('a/b', 1), '/api/streams/a%2Fb/thumbnail?v=1');
});

test('stillHeight keeps the picture shape at 320 px wide', () => {
  const rows: Array<[number, number, number]> = [
    [640, 360, 180],
    [1280, 720, 180],
    [640, 480, 240],
    [0, 0, 180],
    [10_000, 1, 1],
  ];
  for (const [w, h, want] of rows) assert.equal(stillHeight(w, h), want, `${w}x${h}`);
});

/** A browser that encodes `supported` types into blobs of `sizeAt(quality)` bytes, and PNG otherwise. */
function browser(supported: string[], sizeAt: (type: string, quality: number) => number) {
  const asked: string[] = [];
  const encode: StillEncoder = async (type, quality) => {
    asked.push(`${type}@${quality}`);
    const real = supported.includes(type) ? type : 'image/png';
    return new Blob([new Uint8Array(sizeAt(real, quality))], { type: real });
  };
  return { encode, asked };
}

test('encodeStill: WebP when the browser makes it, else JPEG; lower quality until it fits; null when nothing does', async () => {
  const webp = browser(['image/webp', 'image/jpeg'], () => 20_000);
  assert.equal((await encodeStill(webp.encode))?.type, 'image/webp');
  assert.deepEqual(webp.asked, ['image/webp@0.8']);

  const noWebp = browser(['image/jpeg'], () => 20_000);
  assert.equal((await encodeStill(noWebp.encode))?.type, 'image/jpeg');
  assert.deepEqual(noWebp.asked, ['image/webp@0.8', 'image/jpeg@0.8']);

  // 80 KB at 0.8, 60 KB at 0.6: the second fits 64 KB exactly at the edge.
  const big = browser(['image/jpeg'], (_t, q) => (q >= 0.8 ? 80_000 : 65_536));
  const fitted = await encodeStill(big.encode);
  assert.equal(fitted?.size, 65_536);
  assert.deepEqual(big.asked.slice(1), ['image/jpeg@0.8', 'image/jpeg@0.6']);

  const never = browser(['image/webp', 'image/jpeg'], () => 65_537);
  assert.equal(await encodeStill(never.encode), null);
  assert.equal(never.asked.length, 8);

  const nothing: StillEncoder = async () => null;
  assert.equal(await encodeStill(nothing), null);
});

test('afterUpload: the server says when to send the next one, or that the stream is gone', () => {
  const rows: Array<[number | null, unknown, ReturnType<typeof afterUpload>]> = [
    [200, { version: 5, intervalMs: 10_000 }, { action: 'next', delayMs: 10_000 }],
    [200, { version: 5, intervalMs: 2500 }, { action: 'next', delayMs: 2500 }],
    [200, { version: 5 }, { action: 'next', delayMs: 7000 }],
    [429, { error: 'x', retryAfterMs: 1200 }, { action: 'next', delayMs: 1200 }],
    [429, { error: 'x', retryAfterMs: 0 }, { action: 'next', delayMs: 1 }],
    [429, { error: 'x' }, { action: 'next', delayMs: 7000 }],
    [404, { error: 'x' }, { action: 'stop', reason: 'the stream is no longer live on its home Machine' }],
    [401, { error: 'x' }, { action: 'stop', reason: 'the home Machine refused the publish token' }],
    [413, { error: 'x' }, { action: 'next', delayMs: 7000 }],
    [503, null, { action: 'next', delayMs: 7000 }],
    [null, null, { action: 'next', delayMs: 7000 }],
  ];
  for (const [status, body, want] of rows) assert.deepEqual(afterUpload(status, body, 7000), want, `${status}`);
});

test('shouldShow: only a newer version replaces the one on screen', () => {
  const shown: ShownThumbnail = { version: 5, src: '/a?v=5' };
  assert.equal(shouldShow(null, shown), true);
  assert.equal(shouldShow(shown, { version: 6, src: '/a?v=6' }), true);
  assert.equal(shouldShow(shown, { version: 5, src: '/a?v=5' }), false);
  assert.equal(shouldShow(shown, { version: 4, src: '/a?v=4' }), false);
});
