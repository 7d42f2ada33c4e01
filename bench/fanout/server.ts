import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { type WebSocket, WebSocketServer } from 'ws';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';

/**
 * One fan-out server, alone in its process so its memory and CPU are measured alone:
 * `relay` is the whole replaycast app; `bare` is a plain `ws` broadcast loop (the baseline).
 * Talks to run.ts over IPC: sends `{ready, port, watchPath, publishPath}`, answers `sample` (by id).
 */
const variant = process.argv[2];

type Ready = { type: 'ready'; port: number; watchPath: string; publishPath: string };

async function relay(): Promise<{ ready: Ready; stats: () => unknown; close: () => Promise<void> }> {
  const app = await buildApp(
    testConfig({
      server: { port: 0 },
      metrics: { port: 0 },
      directory: { internalPort: 0 },
      // Every bench viewer is one client (127.0.0.1): the per-client cap on watch sockets would refuse
      // all but the first few with 429.
      streams: { maxWatchSocketsPerClient: 100_000 },
    }),
    {
      prettyLogs: false,
    },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const res = await app.inject({
    method: 'POST',
    url: '/api/streams',
    payload: { title: 'fanout bench', creator: 'bench' },
  });
  const { id, publishToken } = res.json() as { id: string; publishToken: string };
  return {
    ready: {
      type: 'ready',
      port: (app.server.address() as AddressInfo).port,
      watchPath: `/ws/watch/${id}`,
      publishPath: `/ws/publish/${id}?token=${publishToken}`,
    },
    stats: () => app.streams.stats(),
    close: () => app.close(),
  };
}

async function bare(): Promise<{ ready: Ready; stats: () => unknown; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const viewers = new Set<WebSocket>();
  let framesSent = 0;
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    if (req.url === '/publish') {
      // The whole baseline: every binary message from the publisher to every viewer.
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return;
        for (const v of viewers) v.send(data as Buffer, { binary: true });
        framesSent += viewers.size;
      });
    } else {
      viewers.add(ws);
      ws.on('close', () => viewers.delete(ws));
    }
  });
  return {
    ready: { type: 'ready', port: (wss.address() as AddressInfo).port, watchPath: '/watch', publishPath: '/publish' },
    stats: () => ({ framesSent, viewers: viewers.size }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const v of wss.clients) v.terminate();
        wss.close(() => resolve());
      }),
  };
}

const server = variant === 'relay' ? await relay() : variant === 'bare' ? await bare() : null;
if (server === null) throw new Error('usage: server.ts relay|bare');

/**
 * How long the server's event loop was held up at worst, per phase: a loop busy relaying a backlog of
 * publisher frames reads nothing else (viewers' acks included) meanwhile. A sample that names a phase
 * reports the phase that just ended and starts a new one, so the window's figure is the window's alone.
 */
const LOOP_TICK_MS = 10;
let lastTickMs = performance.now();
let loopHoldUpMaxMs = 0;
// A timer that should fire every 10 ms: how late it fires is how long the loop was held. (Unlike
// monitorEventLoopDelay, a phase in which the loop never turned reads as its full length, not 0.)
setInterval(() => {
  const now = performance.now();
  loopHoldUpMaxMs = Math.max(loopHoldUpMaxMs, now - lastTickMs - LOOP_TICK_MS);
  lastTickMs = now;
}, LOOP_TICK_MS);
/** The worst hold-up so far, counting the one that may be going on right now. */
const holdUpMs = () => Math.max(loopHoldUpMaxMs, performance.now() - lastTickMs - LOOP_TICK_MS, 0);
/** Time in garbage collection (all kinds) and the longest single pause, per phase. */
let gcMs = 0;
let gcMaxMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration;
    gcMaxMs = Math.max(gcMaxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

// BENCH_PROFILE_DIR: a CPU profile of the measured window only (not start-up or the connection storm).
const profileDir = process.env.BENCH_PROFILE_DIR;
const profiler = profileDir ? new Session() : null;
profiler?.connect();
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    profiler!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
  );

async function phase(name: string): Promise<void> {
  if (profiler === null) return;
  if (name === 'measure-start') {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
  } else if (name === 'measure-end') {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    mkdirSync(profileDir!, { recursive: true });
    writeFileSync(`${profileDir}/${variant}-${process.pid}.cpuprofile`, JSON.stringify(profile));
  }
}

process.send!(server.ready);
process.on('message', (msg: { type: string; id?: number; phase?: string }) => {
  if (msg.type === 'sample') {
    // The server's own clock with its CPU figure, so CPU % is not skewed by IPC delays.
    process.send!({
      type: 'sample',
      id: msg.id,
      atMs: performance.now(),
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      stats: { ...(server.stats() as object), loopDelayMaxMs: holdUpMs(), gcMs, gcMaxMs },
    });
    if (msg.phase !== undefined) {
      // lastTickMs is kept: a hold-up still going on belongs to the new phase too. (Reset, a loop held up
      // through a whole window would read 0: both of its samples are then handled in one turn, back to back.)
      loopHoldUpMaxMs = 0;
      gcMs = 0;
      gcMaxMs = 0;
      void phase(msg.phase);
    }
  } else if (msg.type === 'close') {
    void server.close().finally(() => process.exit(0));
  }
});
