import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import {
  Cluster,
  type ClusterNode,
  FakeStreamSource,
  fakeStreamsPlugin,
  MemoryDns,
  waitFor,
} from '../../test/support/directory-cluster.ts';
import { streamId } from '../../test/support/stream-ids.ts';
import { type MachineIdentity, machinePlugin } from '../machine.ts';
import { DEFAULT_DIRECTORY_LIMITS, type DirectoryLimits } from './limits.ts';
import { type DirectoryConfig, directoryPlugin } from './plugin.ts';

// Loopback block of this file: 127.0.23.150-179, private port 23082.
const PORT = 23082;

const baseConfig: DirectoryConfig = {
  host: '127.0.23.150',
  internalPort: PORT,
  internalToken: null,
  discoveryIntervalMs: 5000,
  dnsServer: null,
  limits: DEFAULT_DIRECTORY_LIMITS,
};

async function single(
  t: import('node:test').TestContext,
  machine: Partial<MachineIdentity> = {},
  config: Partial<DirectoryConfig> = {},
) {
  const source = new FakeStreamSource();
  const app = Fastify({ logger: false });
  await app.register(machinePlugin, { id: null, region: null, appName: null, ...machine });
  await app.register(fakeStreamsPlugin, { source });
  await app.register(directoryPlugin, {
    ...baseConfig,
    ...config,
    resolver: new MemoryDns().resolver,
  });
  await app.ready();
  t.after(() => app.close());
  return { app, source };
}

test('GET /api/streams lists local streams in the documented shape; off Fly the Machine is "local"', async (t) => {
  const { app, source } = await single(t);
  const empty = await app.inject('/api/streams');
  assert.equal(empty.statusCode, 200);
  assert.equal(empty.headers['cache-control'], 'no-store');
  assert.deepEqual(empty.json(), {
    streams: [],
    machines: [{ id: 'local', region: 'local', streams: 0, lastSeenMs: empty.json().machines[0].lastSeenMs }],
    stale: false,
  });

  source.start({ id: 'older', title: 'A', creator: 'ann', viewers: 3, startedAt: 1000 });
  source.start({ id: 'newer', title: 'B', creator: 'bob', viewers: 0, startedAt: 2000 });
  const body = (await app.inject('/api/streams')).json();
  assert.deepEqual(body.streams, [
    {
      id: 'newer',
      title: 'B',
      creator: 'bob',
      machineId: 'local',
      region: 'local',
      viewers: 0,
      startedAt: 2000,
      epoch: 0,
    },
    {
      id: 'older',
      title: 'A',
      creator: 'ann',
      machineId: 'local',
      region: 'local',
      viewers: 3,
      startedAt: 1000,
      epoch: 0,
    },
  ]);
  assert.equal(body.machines[0].streams, 2);
  assert.equal(typeof body.machines[0].lastSeenMs, 'number');
});

test("GET /api/streams: a Machine's relay load (connections, relayed streams) reaches the response", async (t) => {
  const { app } = await single(t);
  const relayedId = streamId('relayed');
  app.directory.setRelay('ok');
  app.directory.setLoad(3, [{ id: relayedId, viewers: 2 }]);
  const body = (await app.inject('/api/streams')).json();
  assert.deepEqual(
    { ...body.machines[0], lastSeenMs: 0 },
    {
      id: 'local',
      region: 'local',
      streams: 0,
      lastSeenMs: 0,
      relay: 'ok',
      connections: 3,
      relayed: [{ id: relayedId, viewers: 2 }],
    },
  );
});

test('GET /api/streams/:id: one entry, or 404 JSON', async (t) => {
  const { app, source } = await single(t, { id: 'aaaaaaaaaaaaaa', region: 'ams' });
  source.start({ id: 'abc', title: 'T', creator: 'c', viewers: 1, startedAt: 5 });
  const found = await app.inject('/api/streams/abc');
  assert.equal(found.statusCode, 200);
  assert.deepEqual(found.json(), {
    id: 'abc',
    title: 'T',
    creator: 'c',
    machineId: 'aaaaaaaaaaaaaa',
    region: 'ams',
    viewers: 1,
    startedAt: 5,
    epoch: 0,
  });
  const missing = await app.inject('/api/streams/nope');
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), { error: 'no live stream with that id' });
  source.end('abc');
  assert.equal((await app.inject('/api/streams/abc')).statusCode, 404);
});

test('built for inject: no private port, no discovery; /internal is not on the public app', async (t) => {
  const { app } = await single(t, { id: 'aaaaaaaaaaaaaa', region: 'ams', appName: 'demo' }, { host: '127.0.23.151' });
  assert.equal((await app.inject('/internal/snapshot')).statusCode, 404);
  assert.equal(app.directory.stats().rounds, 0);
  assert.equal(app.directory.stale, true, 'discovery on but never ran: cannot vouch');
  assert.equal(app.directory.machineKnown('bbbbbbbbbbbbbb'), undefined);
  assert.equal(app.directory.machineKnown('aaaaaaaaaaaaaa'), true);
  const refused = await new Promise<string>((resolve) => {
    const socket = net.connect({ host: '127.0.23.151', port: PORT });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED');
});

/** Reads an SSE response event by event. */
class SseReader {
  private buffer = '';
  private readonly queue: { event: string; data: string }[] = [];
  comments = 0;
  ended = false;
  private wake: (() => void) | null = null;

  constructor(readonly res: http.IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\n\n'); end !== -1; end = this.buffer.indexOf('\n\n')) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) this.comments++;
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) this.queue.push({ event, data: data.join('\n') });
      }
      this.wake?.();
    });
    res.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  async next(timeoutMs = 2000): Promise<{ event: string; data: any }> {
    const deadline = performance.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.ended) throw new Error('feed ended');
      const left = deadline - performance.now();
      if (left <= 0) throw new Error('no SSE event in time');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, left);
      });
    }
    const { event, data } = this.queue.shift()!;
    return { event, data: JSON.parse(data) };
  }
}

function openFeed(node: {
  url: string;
}): Promise<{ res: http.IncomingMessage; reader: SseReader; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${node.url}/api/streams/events`, (res) => resolve({ res, reader: new SseReader(res), req }));
    req.on('error', reject);
  });
}

async function feedCluster(t: import('node:test').TestContext, first: number, limits: Partial<DirectoryLimits> = {}) {
  const dns = new MemoryDns();
  const cluster = await Cluster.start({
    addresses: [`127.0.23.${first}`, `127.0.23.${first + 1}`],
    internalPort: PORT,
    discoveryIntervalMs: 60_000,
    dns,
    limits,
  });
  t.after(() => cluster.close());
  return { cluster, nodes: cluster.nodes as [ClusterNode, ClusterNode] };
}

test('SSE: state first, then stream / stream-removed / machines events as the cluster changes', async (t) => {
  const { cluster, nodes } = await feedCluster(t, 152);
  const [a, b] = nodes;
  const { res, reader } = await openFeed(a);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-store');

  const state = await reader.next();
  assert.equal(state.event, 'state');
  assert.deepEqual(state.data.streams, []);
  assert.deepEqual(state.data.machines.map((m: { id: string }) => m.id).sort(), [a.id, b.id].sort());
  assert.equal(state.data.stale, false);

  const live1 = streamId('live1');
  const startedAt = Date.now();
  b.source.start({ id: live1, title: 'Go', creator: 'bo', viewers: 0, startedAt });
  const added = [await reader.next(), await reader.next()];
  assert.deepEqual(added[0], {
    event: 'stream',
    data: { id: live1, title: 'Go', creator: 'bo', machineId: b.id, region: b.region, viewers: 0, startedAt, epoch: 0 },
  });
  assert.equal(added[1]!.event, 'machines');
  assert.equal(added[1]!.data.machines.find((m: { id: string }) => m.id === b.id).streams, 1);

  b.source.update(live1, { viewers: 9 });
  assert.deepEqual(await reader.next(), {
    event: 'stream',
    data: { id: live1, title: 'Go', creator: 'bo', machineId: b.id, region: b.region, viewers: 9, startedAt, epoch: 0 },
  });

  b.source.end(live1);
  assert.deepEqual(await reader.next(), { event: 'stream-removed', data: { id: live1 } });
  assert.equal((await reader.next()).event, 'machines');

  await cluster.stop(b);
  // b's shutdown push leaves it with 0 streams (no event); DNS dropping it needs a round: run one now.
  const gone = await waitForMachinesEvent(
    reader,
    (machines) => machines.length === 1,
    () => a.directory.discoverNow(),
  );
  assert.deepEqual(
    gone.machines.map((m: { id: string }) => m.id),
    [a.id],
  );
});

async function waitForMachinesEvent(
  reader: SseReader,
  ok: (machines: { id: string }[]) => boolean,
  trigger: () => Promise<void>,
) {
  await trigger();
  for (;;) {
    const e = await reader.next();
    if (e.event === 'machines' && ok(e.data.machines)) return e.data;
  }
}

test('SSE: heartbeat comments, client close is cleaned up, client limit gives 503, app close ends feeds', async (t) => {
  const { nodes } = await feedCluster(t, 156, { sseHeartbeatMs: 30, sseMaxClients: 2 });
  const [a] = nodes;
  const one = await openFeed(a);
  const two = await openFeed(a);
  assert.equal((await one.reader.next()).event, 'state');
  await waitFor('two heartbeats', () => one.reader.comments >= 2, 2000);
  assert.equal(a.directory.stats().sseClients, 2);

  const third = await new Promise<{ status: number; body: string; retryAfter: string | undefined }>(
    (resolve, reject) => {
      http
        .get(`${a.url}/api/streams/events`, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body, retryAfter: res.headers['retry-after'] }));
        })
        .on('error', reject);
    },
  );
  assert.equal(third.status, 503);
  assert.match(JSON.parse(third.body).error, /too many live directory feeds/);
  assert.equal(third.retryAfter, '5');

  const head = await fetch(`${a.url}/api/streams/events`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(a.directory.stats().sseClients, 2, 'HEAD opened no feed');

  two.req.destroy();
  await waitFor('closed feed dropped', () => a.directory.stats().sseClients === 1, 2000);

  await a.app.close();
  await waitFor('feed ended by close', () => one.reader.ended, 2000);
});

test('SSE: a client that stops reading is cut off once its unsent backlog passes the limit', async (t) => {
  const { nodes } = await feedCluster(t, 160, { sseMaxBufferedBytes: 64 * 1024 });
  const [a] = nodes;
  const feed = await openFeed(a);
  assert.equal((await feed.reader.next()).event, 'state');
  feed.res.pause();
  let closed = false;
  feed.res.on('close', () => (closed = true));
  const title = 'x'.repeat(1000);
  for (let i = 0; i < 50; i++) a.source.start({ id: `big-${i}`, title });
  // Each round changes 50 streams: ~60 KB of events per flush; loopback buffers absorb a few MB first.
  for (let round = 0; round < 2000 && a.directory.stats().sseClients > 0; round++) {
    for (let i = 0; i < 50; i++) a.source.update(`big-${i}`, { viewers: round });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  assert.equal(a.directory.stats().sseClients, 0, 'the stalled feed was dropped');
  feed.res.resume();
  await waitFor('client sees the feed end', () => closed || feed.reader.ended, 5000);
});
