import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../config.ts';
import { DEFAULT_THUMBNAIL_LIMITS } from './limits.ts';

test('thumbnail settings: defaults, and the demo streams get the interval', () => {
  const config = loadConfig({});
  assert.deepEqual(config.thumbnails, {
    maxBytes: 65536,
    minIntervalMs: 5000,
    intervalMs: 10_000,
    cacheMaxBytes: 16 * 1024 * 1024,
    limits: DEFAULT_THUMBNAIL_LIMITS,
  });
  assert.equal(config.demo.thumbnailIntervalMs, 10_000);
  const set = loadConfig({
    THUMBNAIL_MAX_BYTES: '32768',
    THUMBNAIL_MIN_INTERVAL_MS: '2000',
    THUMBNAIL_INTERVAL_MS: '3000',
    THUMBNAIL_CACHE_MAX_BYTES: '1048576',
  });
  assert.deepEqual(
    [set.thumbnails.maxBytes, set.thumbnails.minIntervalMs, set.thumbnails.intervalMs, set.thumbnails.cacheMaxBytes],
    [32768, 2000, 3000, 1048576],
  );
  assert.equal(set.demo.thumbnailIntervalMs, 3000);
});

test('thumbnail limits are accepted up to their edges', () => {
  const rows: Array<[Record<string, string>, (c: ReturnType<typeof loadConfig>) => number, number]> = [
    [{ THUMBNAIL_MAX_BYTES: '1024' }, (c) => c.thumbnails.maxBytes, 1024],
    [{ THUMBNAIL_MAX_BYTES: '1048576', THUMBNAIL_CACHE_MAX_BYTES: '1048576' }, (c) => c.thumbnails.maxBytes, 1048576],
    [{ THUMBNAIL_MIN_INTERVAL_MS: '100', THUMBNAIL_INTERVAL_MS: '100' }, (c) => c.thumbnails.intervalMs, 100],
    [{ THUMBNAIL_INTERVAL_MS: '5000' }, (c) => c.thumbnails.intervalMs, 5000],
    [{ THUMBNAIL_CACHE_MAX_BYTES: '65536' }, (c) => c.thumbnails.cacheMaxBytes, 65536],
  ];
  for (const [env, read, want] of rows) assert.equal(read(loadConfig(env)), want, JSON.stringify(env));
});

const bad: Array<[string, Record<string, string>, RegExp]> = [
  ['THUMBNAIL_MAX_BYTES', { THUMBNAIL_MAX_BYTES: '1023' }, /between 1024 and 1048576/],
  ['THUMBNAIL_MAX_BYTES', { THUMBNAIL_MAX_BYTES: '1048577' }, /between/],
  ['THUMBNAIL_MIN_INTERVAL_MS', { THUMBNAIL_MIN_INTERVAL_MS: '99' }, /between/],
  ['THUMBNAIL_INTERVAL_MS', { THUMBNAIL_INTERVAL_MS: '4999' }, /at least THUMBNAIL_MIN_INTERVAL_MS \(5000\)/],
  ['THUMBNAIL_INTERVAL_MS', { THUMBNAIL_INTERVAL_MS: 'often' }, /whole number/],
  ['THUMBNAIL_CACHE_MAX_BYTES', { THUMBNAIL_CACHE_MAX_BYTES: '65535' }, /at least THUMBNAIL_MAX_BYTES \(65536\)/],
];
for (const [variable, env, reason] of bad) {
  test(`a bad ${variable} is a ConfigError naming it (${JSON.stringify(env)})`, () => {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && reason.test(err.message),
    );
  });
}
