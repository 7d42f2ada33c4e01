import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { waitFor } from '../../test/support/directory-cluster.ts';
import { jpegOf } from '../../test/support/thumbnails.ts';
import { PeerResponseTooLargeError } from '../directory/peer-client.ts';
import { ThumbnailCache } from './cache.ts';
import { DEFAULT_THUMBNAIL_LIMITS } from './limits.ts';
import { type MirrorDirectory, ThumbnailMirror } from './mirror.ts';
import type { PeerThumbnailResponse } from './peer-answer.ts';
import type { AdvertisedStream } from './sync-plan.ts';

const HOME = 'aaaaaaaaaaaaaa';

/** A directory whose peer answers the test scripts, one per fetch. */
function fakeDirectory(streams: AdvertisedStream[], answers: Array<PeerThumbnailResponse | Error>) {
  const asked: Array<{ path: string; ifNoneMatch: string | undefined }> = [];
  let changes = 0;
  const directory: MirrorDirectory = {
    peerStreams: () => streams,
    peerFetch: async (_id, path, opts) => {
      asked.push({ path, ifNoneMatch: opts.ifNoneMatch });
      const next = answers.shift();
      if (next === undefined) throw new Error('no answer scripted');
      if (next instanceof Error) throw next;
      return next;
    },
    thumbnailsChanged: () => changes++,
  };
  return { directory, asked, changes: () => changes };
}

function mirror(directory: MirrorDirectory, cache = new ThumbnailCache(1 << 20)) {
  const m = new ThumbnailMirror({
    directory,
    cache,
    maxBytes: 64 * 1024,
    limits: { ...DEFAULT_THUMBNAIL_LIMITS, retryDelayMs: 5 },
    log: pino({ level: 'silent' }),
  });
  return { m, cache };
}

const ok = (version: number, bytes = jpegOf(100)): PeerThumbnailResponse => ({
  status: 200,
  etag: `"${version}"`,
  bytes,
});

test('a failing fetch is retried after a delay, up to maxFetchAttempts, then that version is given up', async (t) => {
  const streams = [{ id: 's', machineId: HOME, thumbnail: 5 }];
  const fake = fakeDirectory(streams, [new Error('ECONNRESET'), new Error('ECONNRESET'), new Error('ECONNRESET')]);
  const { m } = mirror(fake.directory);
  t.after(() => m.stop());
  m.sync();
  await waitFor('three attempts', () => m.counters.fetchesFailed === 3, 2000);
  // No fourth: the retry timer is not armed once attempts run out.
  m.sync();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fake.asked.length, 3);
  // A newer version is fetched as usual.
  streams[0]!.thumbnail = 6;
  fake.asked.length = 0;
  const answers = [ok(6)];
  fake.directory.peerFetch = async () => answers.shift()!;
  m.sync();
  await waitFor('v6 held', () => m.counters.fetches === 4, 2000);
});

test('a fetch that recovers on the second try is held, and the next fetch is conditional', async (t) => {
  const streams = [{ id: 's', machineId: HOME, thumbnail: 5 }];
  const fake = fakeDirectory(streams, [
    new Error('timeout'),
    ok(5),
    { status: 304, etag: '"5"', bytes: Buffer.alloc(0) },
  ]);
  const { m, cache } = mirror(fake.directory);
  t.after(() => m.stop());
  m.sync();
  await waitFor('held', () => cache.version('s', HOME) === 5, 2000);
  assert.equal(fake.changes(), 1, 'the directory was told once');
  // The home advertises 6 but still has 5 (it answers 304): 6 is given up, no loop of fetches.
  streams[0]!.thumbnail = 6;
  m.sync();
  await waitFor('asked conditionally', () => fake.asked.length === 3, 2000);
  assert.equal(fake.asked[2]!.ifNoneMatch, '"5"');
  m.sync();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fake.asked.length, 3);
  assert.equal(m.counters.fetchesNotModified, 1);
});

test('an answer over the size limit is refused, not retried', async (t) => {
  const fake = fakeDirectory([{ id: 's', machineId: HOME, thumbnail: 5 }], [new PeerResponseTooLargeError(65536)]);
  const { m, cache } = mirror(fake.directory);
  t.after(() => m.stop());
  m.sync();
  await waitFor('refused', () => m.counters.refused === 1, 2000);
  m.sync();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fake.asked.length, 1);
  assert.equal(cache.size, 0);
});

test('at most maxConcurrentFetches on the wire; the rest follow as they settle', async (t) => {
  const streams = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, machineId: HOME, thumbnail: 1 }));
  let inFlight = 0;
  let most = 0;
  const directory: MirrorDirectory = {
    peerStreams: () => streams,
    peerFetch: async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return ok(1);
    },
    thumbnailsChanged: () => {},
  };
  const { m, cache } = mirror(directory);
  t.after(() => m.stop());
  m.sync();
  await waitFor('all held', () => cache.size === 10, 2000);
  assert.equal(most, DEFAULT_THUMBNAIL_LIMITS.maxConcurrentFetches);
  assert.equal(m.counters.fetches, 10);
});
