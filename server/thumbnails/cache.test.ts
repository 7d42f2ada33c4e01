import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThumbnailCache, type ThumbnailCopy } from './cache.ts';

const copy = (bytes: number, version = 1, home = 'home1'): ThumbnailCopy => ({
  home,
  version,
  type: 'image/jpeg',
  // The cache only counts bytes; what they are was checked before they got here.
  bytes: Buffer.alloc(bytes),
});

test('the cache holds up to maxBytes exactly; one byte more evicts the least recently used', () => {
  const cache = new ThumbnailCache(1000);
  assert.deepEqual(cache.put('a', copy(400)), []);
  assert.deepEqual(cache.put('b', copy(300)), []);
  assert.deepEqual(cache.put('c', copy(300)), []);
  assert.equal(cache.bytes, 1000);
  // Serving 'a' makes 'b' the least recently used.
  assert.equal(cache.get('a')?.version, 1);
  const evicted = cache.put('d', copy(1));
  assert.deepEqual(
    evicted.map((e) => e.id),
    ['b'],
  );
  assert.equal(cache.bytes, 701);
  assert.deepEqual(cache.ids().sort(), ['a', 'c', 'd']);
});

test('a newer copy replaces the older one of its stream, its bytes counted once', () => {
  const cache = new ThumbnailCache(1000);
  cache.put('a', copy(600, 1));
  assert.deepEqual(cache.put('a', copy(700, 2)), []);
  assert.equal(cache.bytes, 700);
  assert.equal(cache.size, 1);
  assert.equal(cache.version('a', 'home1'), 2);
});

test('a copy as large as the cache evicts every other, never itself', () => {
  const cache = new ThumbnailCache(1000);
  cache.put('a', copy(10));
  cache.put('b', copy(10));
  const evicted = cache.put('c', copy(1000));
  assert.deepEqual(evicted.map((e) => e.id).sort(), ['a', 'b']);
  assert.deepEqual(cache.ids(), ['c']);
  assert.equal(cache.bytes, 1000);
});

test('version() names only a copy from that home; peek does not count as a use; drop frees the bytes', () => {
  const cache = new ThumbnailCache(100);
  cache.put('a', copy(40, 5, 'home1'));
  cache.put('b', copy(40, 6, 'home1'));
  assert.equal(cache.version('a', 'home1'), 5);
  assert.equal(cache.version('a', 'home2'), undefined);
  assert.equal(cache.peek('a')?.version, 5);
  // 'a' was only peeked at: it is still the least recently used.
  assert.deepEqual(
    cache.put('c', copy(40)).map((e) => e.id),
    ['a'],
  );
  assert.equal(cache.drop('b'), true);
  assert.equal(cache.drop('b'), false);
  assert.equal(cache.bytes, 40);
});
