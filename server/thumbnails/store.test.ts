import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jpegOf, PNG_BYTES, webpOf } from '../../test/support/thumbnails.ts';
import { nextVersion, ThumbnailStore } from './store.ts';

const T0 = 1_700_000_000_000;
const limits = { maxBytes: 1000, minIntervalMs: 5000 };

test('nextVersion: the clock, or one past the last when the clock did not move on', () => {
  const rows: Array<[number, number, number]> = [
    [0, T0, T0],
    [T0, T0 + 7, T0 + 7],
    [T0, T0, T0 + 1],
    [T0 + 10, T0, T0 + 11],
    [5, 2.9, 6],
  ];
  for (const [last, now, want] of rows) assert.equal(nextVersion(last, now), want, `${last} at ${now}`);
});

test('put: one per stream per minIntervalMs (429 with the wait), checked by size and magic bytes', () => {
  const store = new ThumbnailStore(limits);
  assert.deepEqual(store.put('a', jpegOf(100), T0), { ok: true, version: T0 });
  const early = store.put('a', jpegOf(100), T0 + 4999);
  assert.deepEqual(early, {
    ok: false,
    status: 429,
    error: 'at most one thumbnail per 5000 ms per stream',
    retryAfterMs: 1,
  });
  // Another stream has its own interval.
  assert.deepEqual(store.put('b', webpOf(100), T0 + 4999), { ok: true, version: T0 + 4999 });
  assert.deepEqual(store.put('a', webpOf(120), T0 + 5000), { ok: true, version: T0 + 5000 });
  assert.equal(store.get('a')?.type, 'image/webp');
  assert.equal(store.get('a')?.bytes.length, 120);
});

test('put: a refused image keeps the last one and does not use up the interval', () => {
  const store = new ThumbnailStore(limits);
  store.put('a', jpegOf(100), T0);
  const png = store.put('a', PNG_BYTES, T0 + 6000);
  assert.equal(!png.ok && png.status, 415);
  const big = store.put('a', jpegOf(1001), T0 + 6000);
  assert.equal(!big.ok && big.status, 413);
  assert.equal(store.version('a'), T0);
  assert.equal(store.get('a')?.bytes.length, 100);
  assert.deepEqual(store.put('a', jpegOf(1000), T0 + 6000), { ok: true, version: T0 + 6000 });
});

test('versions grow across streams even when the clock stands still', () => {
  const store = new ThumbnailStore(limits);
  store.put('a', jpegOf(10), T0);
  store.put('b', jpegOf(10), T0);
  store.put('c', jpegOf(10), T0 - 50);
  assert.deepEqual([store.version('a'), store.version('b'), store.version('c')], [T0, T0 + 1, T0 + 2]);
});

test('retain drops the thumbnails of ended streams (and their interval) and tells listeners once', () => {
  const store = new ThumbnailStore(limits);
  let changes = 0;
  store.onChange(() => changes++);
  store.put('a', jpegOf(100), T0);
  store.put('b', jpegOf(200), T0);
  assert.equal(changes, 2);
  assert.equal(store.bytes, 300);
  store.retain((id) => id === 'b');
  assert.equal(changes, 3);
  assert.equal(store.get('a'), undefined);
  assert.equal(store.size, 1);
  assert.equal(store.bytes, 200);
  store.retain((id) => id === 'b');
  assert.equal(changes, 3, 'nothing dropped, nothing told');
  assert.equal(store.waitMs('a', T0 + 1), 0);
});
