import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/**
 * Two attacks one client can make on one Machine, against the whole app with its default limits:
 *
 * - flood: a raw watch socket that writes masked 1-byte garbage text frames as fast as the kernel takes
 *   them and never reads (at most FLOOD_MAX_MESSAGES, at most FLOOD_MS). Reported: the server's RSS
 *   growth (peak during the flood and 3 s after the client left, over the RSS with the socket open),
 *   and how long after its first message over the refusal budget the server closed the socket.
 * - burst: 51 anonymous `POST /api/streams` at once from one address; reported: the statuses.
 *
 *   npm run bench -- flood                          (about 20 s; exit code 1 if a target is missed)
 *   BENCH_FLOOD_MS=30000 npm run bench -- flood     (a longer flood, at most 30 s)
 */
/** The flood's length; the server's own pace bounds how much of it it reads, so a loaded machine may want longer. */
const FLOOD_MS = Number(process.env.BENCH_FLOOD_MS ?? 10_000);
const FLOOD_MAX_MESSAGES = 2_400_000;
const FLOOD_MAX_MS = 30_000;
const BATCH_MESSAGES = 1000;
const AFTER_MS = 3000;
const SAMPLE_INTERVAL_MS = 250;
const BURST_REQUESTS = 51;
const TARGET_RSS_GROWTH_MB = 20;
const TARGET_CLOSE_MS = 1000;

const MB = 1024 * 1024;
const server = fork(new URL('server.ts', import.meta.url).pathname, [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const socketEvents: Array<{ event: string; atMs: number; received?: number }> = [];
let sampleId = 0;
const pendingSamples = new Map<number, (m: NodeJS.MemoryUsage) => void>();
server.on(
  'message',
  (msg: { type: string; id?: number; memory?: NodeJS.MemoryUsage; event?: string; atMs?: number }) => {
    if (msg.type === 'sample') pendingSamples.get(msg.id!)?.(msg.memory!);
    if (msg.type === 'socket') socketEvents.push(msg as { event: string; atMs: number });
  },
);
const [ready] = (await once(server, 'message')) as [{ type: 'ready'; port: number; watchPath: string }];

function sample(child: ChildProcess): Promise<NodeJS.MemoryUsage> {
  const id = ++sampleId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no memory sample from the server within 30 s')), 30_000);
    pendingSamples.set(id, (m) => {
      clearTimeout(timer);
      pendingSamples.delete(id);
      resolve(m);
    });
    child.send({ type: 'sample', id });
  });
}

/** A watch socket opened by hand: the 101 is read, then the socket is paused for good. */
function openRaw(port: number, path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: '127.0.0.1', port }, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade refused: ${head.slice(0, head.indexOf('\r\n'))}`));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** BATCH_MESSAGES masked text frames of one byte each (7 bytes a frame). */
function garbageBatch(): Buffer {
  const frame = Buffer.from([0x81, 0x80 | 1, 0x11, 0x22, 0x33, 0x44, 0x7a ^ 0x11]);
  return Buffer.concat(Array.from({ length: BATCH_MESSAGES }, () => frame));
}

/** Until the socket drains or closes, or 500 ms (a server that stopped reading never drains it). */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, 500);
    socket.once('drain', done);
    socket.once('close', done);
  });
}

async function flood() {
  const socket = await openRaw(ready.port, ready.watchPath);
  const baseline = await sample(server);
  let peakRss = baseline.rss;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, (await sample(server)).rss);
      await new Promise((r) => setTimeout(r, SAMPLE_INTERVAL_MS));
    }
  })();

  const batch = garbageBatch();
  let sent = 0;
  let cutOff = false;
  socket.on('error', () => (cutOff = true));
  socket.on('close', () => (cutOff = true));
  const start = performance.now();
  while (!cutOff && sent < FLOOD_MAX_MESSAGES && performance.now() - start < Math.min(FLOOD_MS, FLOOD_MAX_MS)) {
    sent += BATCH_MESSAGES;
    if (!socket.write(batch)) await drained(socket);
  }
  const floodMs = performance.now() - start;
  const closedByServer = cutOff;
  socket.destroy();
  const afterStart = performance.now();
  while (performance.now() - afterStart < AFTER_MS) {
    peakRss = Math.max(peakRss, (await sample(server)).rss);
    await new Promise((r) => setTimeout(r, SAMPLE_INTERVAL_MS));
  }
  sampling = false;
  await sampler;
  const after = await sample(server);
  const overBudget = socketEvents.find((e) => e.event === 'over-budget');
  const closed = socketEvents.find((e) => e.event === 'close');
  return {
    sent,
    floodMs,
    closedByServer,
    baselineMb: baseline.rss / MB,
    peakGrowthMb: (peakRss - baseline.rss) / MB,
    afterGrowthMb: (after.rss - baseline.rss) / MB,
    receivedByServer: closed?.received ?? null,
    closeAfterBudgetMs: overBudget && closed ? closed.atMs - overBudget.atMs : null,
  };
}

async function burst(): Promise<Record<number, number>> {
  const url = `http://127.0.0.1:${ready.port}/api/streams`;
  const statuses = await Promise.all(
    Array.from({ length: BURST_REQUESTS }, async (_, i) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: `burst ${i}`, creator: 'mallory' }),
      });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

try {
  const f = await flood();
  console.log(
    `flood: ${f.sent} messages in ${(f.floodMs / 1000).toFixed(1)} s (${f.closedByServer ? 'cut off by the server' : 'never cut off'}); ` +
      `server received ${f.receivedByServer ?? 'n/a'} before closing`,
  );
  console.log(
    `  server RSS ${f.baselineMb.toFixed(0)} MiB with the socket open; growth: peak ${f.peakGrowthMb.toFixed(1)} MiB, ` +
      `${(AFTER_MS / 1000).toFixed(0)} s after the client left ${f.afterGrowthMb.toFixed(1)} MiB (target < ${TARGET_RSS_GROWTH_MB})`,
  );
  console.log(
    `  closed ${f.closeAfterBudgetMs === null ? 'never' : `${f.closeAfterBudgetMs.toFixed(0)} ms`} after its first message over the budget (target < ${TARGET_CLOSE_MS} ms)`,
  );
  const b = await burst();
  console.log(
    `burst: ${BURST_REQUESTS} POST /api/streams at once: ${Object.entries(b)
      .map(([status, n]) => `${n} x ${status}`)
      .join(', ')}`,
  );
  const ok =
    f.peakGrowthMb < TARGET_RSS_GROWTH_MB && f.closeAfterBudgetMs !== null && f.closeAfterBudgetMs < TARGET_CLOSE_MS;
  process.exitCode = ok ? 0 : 1;
} finally {
  server.send({ type: 'close' });
  await once(server, 'exit');
}
