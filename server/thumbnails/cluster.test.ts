import assert from 'node:assert/strict';
import http from 'node:http';
import { type TestContext, test } from 'node:test';
import { ulid } from 'ulid';
import { logCapture } from '../../test/support/app.ts';
import {
  Cluster,
  type ClusterNode,
  MemoryDns,
  randomMachineId,
  waitFor,
} from '../../test/support/directory-cluster.ts';
import { jpegOf, PNG_BYTES, webpOf } from '../../test/support/thumbnails.ts';
import type { ThumbnailsOptions } from './plugin.ts';

// Loopback block of this file: 127.0.27.10-29, private port 23090.
const PORT = 23090;
let nextAddress = 10;
const addresses = (n: number) => Array.from({ length: n }, () => `127.0.27.${nextAddress++}`);

async function cluster(
  t: TestContext,
  thumbnails: Partial<ThumbnailsOptions> = {},
  logStream?: { write(line: string): void },
) {
  const dns = new MemoryDns();
  const c = await Cluster.start({
    addresses: addresses(2),
    internalPort: PORT,
    discoveryIntervalMs: 60_000,
    dns,
    thumbnails: { minIntervalMs: 100, intervalMs: 100, ...thumbnails },
    ...(logStream !== undefined && { logStream }),
  });
  t.after(() => c.close());
  const [home, peer] = c.nodes as [ClusterNode, ClusterNode];
  // Both know each other (pushes carry every later change).
  await Promise.all(c.nodes.map((n) => n.directory.discoverNow()));
  return { c, dns, home, peer };
}

/** A stream live on `node` (the fake relay), with a publish token. */
function live(node: ClusterNode, title = 'Thumbnail stream'): { id: string; token: string } {
  const id = ulid();
  const token = `token-${id}`;
  node.source.tokens.set(id, token);
  node.source.start({ id, title, creator: 'tester' });
  return { id, token };
}

async function upload(node: ClusterNode, stream: { id: string; token: string }, bytes: Buffer): Promise<number> {
  const res = await fetch(`${node.url}/api/streams/${stream.id}/thumbnail`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${stream.token}`, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { version: number }).version;
}

async function read(node: ClusterNode, id: string): Promise<{ status: number; bytes: Buffer; etag: string | null }> {
  const res = await fetch(`${node.url}/api/streams/${id}/thumbnail`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), etag: res.headers.get('etag') };
}

test('a peer fetches each new thumbnail once, serves the same bytes from its own copy, and drops it with the stream', async (t) => {
  const { home, peer } = await cluster(t);
  const stream = live(home);
  await waitFor('the peer lists the stream', () => peer.directory.get(stream.id) !== undefined, 5000);
  assert.equal(peer.directory.get(stream.id)?.thumbnail, undefined, 'no version before the first upload');
  assert.equal((await read(peer, stream.id)).status, 404);

  const first = jpegOf(3000, 0x31);
  const v1 = await upload(home, stream, first);
  await waitFor('the peer names v1', () => peer.directory.get(stream.id)?.thumbnail === v1, 5000);
  const got1 = await read(peer, stream.id);
  assert.equal(got1.status, 200);
  assert.equal(got1.etag, `"${v1}"`);
  assert.deepEqual(got1.bytes, first);

  // The next one replaces it (the rate limit is 100 ms here).
  await waitFor(
    'the rate limit lets the next one in',
    () => home.app.thumbnails.store.waitMs(stream.id, Date.now()) === 0,
    1000,
  );
  const second = webpOf(2000);
  const v2 = await upload(home, stream, second);
  assert.ok(v2 > v1);
  await waitFor('the peer names v2', () => peer.directory.get(stream.id)?.thumbnail === v2, 5000);
  assert.deepEqual((await read(peer, stream.id)).bytes, second);

  const stats = peer.app.thumbnailSharing.stats();
  assert.equal(stats.fetches, 2, 'one fetch per version');
  assert.equal(stats.fetchedBytes, first.length + second.length);
  assert.equal(stats.copies, 1);
  assert.equal(stats.copyBytes, second.length);
  assert.equal(home.app.thumbnailSharing.stats().fetches, 0, 'the home fetches nothing of its own');

  home.source.end(stream.id);
  await waitFor('the peer drops the copy', () => peer.app.thumbnailSharing.stats().copies === 0, 5000);
  assert.equal((await read(peer, stream.id)).status, 404);
  assert.equal((await read(home, stream.id)).status, 404);
});

test('a Machine that already holds the current version is answered 304 (conditional fetch)', async (t) => {
  const { home, peer } = await cluster(t);
  const stream = live(home);
  const v1 = await upload(home, stream, jpegOf(1000));
  await waitFor('the peer names v1', () => peer.directory.get(stream.id)?.thumbnail === v1, 5000);
  const res = await peer.directory.peerFetch(home.id, `/internal/thumbnails/${stream.id}`, {
    timeoutMs: 2000,
    maxResponseBytes: 64 * 1024,
    ifNoneMatch: `"${v1}"`,
  });
  assert.equal(res.status, 304);
  assert.equal(res.bytes.length, 0);
  const unknown = await peer.directory.peerFetch(home.id, `/internal/thumbnails/${ulid()}`, {
    timeoutMs: 2000,
    maxResponseBytes: 64 * 1024,
  });
  assert.equal(unknown.status, 404);
});

/**
 * A Machine of the app that lies: it advertises a stream with a thumbnail and serves `image` (with
 * `etag`) for it. Listed in DNS with the cluster, so the real peer fetches its snapshot and thumbnail.
 */
async function liar(t: TestContext, c: Cluster, dns: MemoryDns, image: Buffer, etag: string | null) {
  const id = randomMachineId();
  const address = addresses(1)[0]!;
  const streamId = ulid();
  const snapshot = {
    machineId: id,
    region: 'syd',
    bootId: ulid(),
    version: 1,
    streams: [
      { id: streamId, title: 'Forged', creator: 'mallory', viewers: 0, startedAt: Date.now(), thumbnail: Date.now() },
    ],
  };
  let thumbnailRequests = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/internal/snapshot') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot));
      return;
    }
    thumbnailRequests++;
    res.writeHead(200, { 'content-type': 'image/jpeg', ...(etag !== null && { etag }) }).end(image);
  });
  await new Promise<void>((resolve) => server.listen(PORT, address, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  dns.publish(c.appName, [
    ...c.nodes.map(({ id: nid, region, address: a }) => ({ id: nid, region, address: a })),
    { id, region: 'syd', address },
  ]);
  /** A new snapshot with the same thumbnail version (more viewers), so peers plan their fetches again. */
  const bump = () => {
    snapshot.version++;
    snapshot.streams[0]!.viewers++;
  };
  return { streamId, requests: () => thumbnailRequests, bump };
}

const forgeries: Array<[string, Buffer, string | null, RegExp]> = [
  ['a PNG', PNG_BYTES, '"7"', /JPEG or WebP/],
  ['HTML posing as a JPEG', Buffer.from('<!doctype html><script>alert(1)</script>'), '"7"', /JPEG or WebP/],
  ['an oversized JPEG', jpegOf(64 * 1024 + 1), '"7"', /at most 65536 bytes/],
  ['a JPEG without a version', jpegOf(1000), null, /no thumbnail version/],
];

for (const [what, image, etag, reason] of forgeries) {
  test(`a peer serving ${what} as a thumbnail is refused, once, and nothing is served for it`, async (t) => {
    const log = logCapture();
    const { c, dns, peer } = await cluster(t, {}, log);
    const forged = await liar(t, c, dns, image, etag);
    await peer.directory.discoverNow();
    await waitFor('the peer lists the forged stream', () => peer.directory.get(forged.streamId) !== undefined, 5000);
    await waitFor('the thumbnail is refused', () => peer.app.thumbnailSharing.stats().refused === 1, 5000);
    assert.equal(peer.directory.get(forged.streamId)?.thumbnail, undefined, 'no version named for it');
    assert.equal((await read(peer, forged.streamId)).status, 404);
    assert.equal(peer.app.thumbnailSharing.stats().copies, 0);
    const warning = log.lines.find((l) => l.msg === 'thumbnails: refused a thumbnail from a peer');
    assert.match(String(warning?.reason), reason);

    // The same version is not asked for again: a new snapshot that still names it makes the peer plan again
    // (on the next turn after the change lands), and it fetches nothing.
    forged.bump();
    await peer.directory.discoverNow();
    await waitFor('the peer has the new snapshot', () => peer.directory.get(forged.streamId)?.viewers === 1, 5000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(forged.requests(), 1);
    assert.equal(peer.app.thumbnailSharing.stats().fetches, 1);
  });
}

test('the copies stay within THUMBNAIL_CACHE_MAX_BYTES: the least recently used goes, and is not fetched again', async (t) => {
  const { home, peer } = await cluster(t, { maxBytes: 2000, cacheMaxBytes: 5000 });
  const streams = [live(home, 'one'), live(home, 'two'), live(home, 'three')];
  const versions: number[] = [];
  for (const s of streams) {
    versions.push(await upload(home, s, jpegOf(2000)));
    const v = versions.at(-1);
    await waitFor('the peer holds it', () => peer.directory.get(s.id)?.thumbnail === v, 5000);
  }
  const stats = peer.app.thumbnailSharing.stats();
  assert.equal(stats.copyBytes, 4000);
  assert.equal(stats.evicted, 1);
  assert.equal(stats.fetches, 3);
  assert.equal(peer.directory.get(streams[0]!.id)?.thumbnail, undefined, 'the evicted one is not named');
  assert.equal((await read(peer, streams[0]!.id)).status, 404);
  assert.equal((await read(peer, streams[2]!.id)).status, 200);
  // Its home still has it: a page there still gets it.
  assert.equal((await read(home, streams[0]!.id)).status, 200);
});
