import net from 'node:net';
import { loadavg } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';
import { judgeWithControl, type MedianEstimate, medianEstimate, quantile } from '../verdict.ts';

/**
 * The routing hook's cost on a request it serves here (`GET /api/whoami` with the `fly-machine-id` cookie
 * naming this Machine): the app built by `buildApp` with the hook against the same app without it, each a
 * real HTTP server on loopback, in ONE process with the client, taking turns request by request.
 *
 * Why: loaded at once or in turn from another process, servers sharing a core read 0.82-1.47 of each other
 * from round to round (requests per CPU-second follows how many requests each finds waiting when it gets the
 * core), and their control missed 1 by 9-14 % (bench/README.md). Here one thread does everything, so a
 * request's wall time is its whole cost (client write, wake-up, parse, app, write, client read), whatever
 * else runs on the machine falls on all servers alike, and each request finds the caches as the other
 * servers' requests left them, as on a real server. Per round, each server's median request time (a request
 * preempted or caught by a GC lands in the tail).
 *
 * A fourth server answers every request with a fixed response and does nothing else (`echo`): its time is
 * the sockets' share, client and server. The ratio is (without - echo) / (hook - echo): taking the same
 * amount off both sides only lowers it, and what is taken includes the server's own socket work, so the
 * figure is a lower bound of the server's requests per CPU-second ratio. The direct ratio without / hook
 * is printed too. A control (a second copy without the hook) reads 1 when the method favours no server.
 *
 * An app built once carries a bias of its own (two copies of one app read up to 1.4 % apart for a whole
 * run), so the servers are built afresh for each GENERATION, in rotated order, and the verdict is on the
 * generations: their spread includes that bias.
 *
 *   npm run bench -- routing                 (about a minute)
 *   BENCH_WIRE=1 npm run bench -- routing    (the earlier method: servers loaded by autocannon, run.ts)
 */
const GENERATIONS = Number(process.env.BENCH_GENERATIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Requests per server per round. */
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 2000);
/** V8 optimises the hot path by call count: every server of a generation answers this many first. */
const WARMUP_REQUESTS = 10_000;
/** One request must answer within this, or the run stops with an error (bounded, never a hang). */
const REQUEST_TIMEOUT_MS = 5000;
const TARGET_RATIO = 0.95;
const CONTROL_TOLERANCE = 0.05;
const SELF = '0123456789abcd';
type AppSide = 'hook' | 'bare' | 'control';
type Side = AppSide | 'echo';
const APP_SIDES: readonly AppSide[] = ['hook', 'bare', 'control'];
const SIDES: readonly Side[] = [...APP_SIDES, 'echo'];

const REQUEST = Buffer.from(
  `GET /api/whoami HTTP/1.1\r\nhost: 127.0.0.1\r\ncookie: fly-machine-id=${SELF}\r\nconnection: keep-alive\r\n\r\n`,
);
const ECHO_BODY = JSON.stringify({ machineId: SELF, region: 'ams', app: null });
const ECHO_RESPONSE = Buffer.from(
  `HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${ECHO_BODY.length}\r\nconnection: keep-alive\r\n\r\n${ECHO_BODY}`,
);

/** A keep-alive connection sending one request at a time and reading the whole response. */
class Client {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (response: Buffer) => void; reject: (err: Error) => void } | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      const response = completeResponse(this.buffered);
      if (response === null || this.waiting === null) return;
      this.buffered = this.buffered.subarray(response.length);
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve(response);
    });
    socket.on('error', (err) => this.waiting?.reject(err));
    socket.on('close', () => this.waiting?.reject(new Error('connection closed')));
  }

  static async open(port: number): Promise<Client> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Client(socket);
  }

  /** One request, timed alone (us). */
  async timed(): Promise<number> {
    const t0 = process.hrtime.bigint();
    const response = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
        REQUEST_TIMEOUT_MS,
      );
      this.waiting = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.socket.write(REQUEST);
    });
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (!response.subarray(0, 15).equals(Buffer.from('HTTP/1.1 200 OK')) || response.includes('fly-replay')) {
      throw new Error(`not served here: ${response.toString('latin1', 0, 200)}`);
    }
    return us;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The first whole response in `data` (headers and a content-length body), or null while incomplete. */
function completeResponse(data: Buffer): Buffer | null {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const length = /\r\ncontent-length: *(\d+)/i.exec(data.toString('latin1', 0, end));
  if (length === null) throw new Error(`a response without content-length: ${data.toString('latin1', 0, end)}`);
  const total = end + 4 + Number(length[1]);
  return data.length >= total ? data.subarray(0, total) : null;
}

/** The echo server: a fixed response per request line-end pair, no parsing beyond that. */
async function startEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf('\r\n\r\n'); i !== -1; i = chunk.indexOf('\r\n\r\n', i + 4))
        socket.write(ECHO_RESPONSE);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    // Its connections are the clients', closed before this.
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `count` requests to each server, interleaved, the order rotating; each server's request times. */
async function interleaved(clients: Record<Side, Client>, count: number): Promise<Record<Side, number[]>> {
  const times: Record<Side, number[]> = { hook: [], bare: [], control: [], echo: [] };
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < SIDES.length; k++) {
      const side = SIDES[(i + k) % SIDES.length]!;
      times[side].push(await clients[side].timed());
    }
  }
  return times;
}

/** The three apps of one generation, built in an order that rotates with the generation, listening. */
async function buildGeneration(g: number): Promise<Record<AppSide, FastifyInstance>> {
  const config = testConfig({ machine: { id: SELF, region: 'ams' } });
  const apps = {} as Record<AppSide, FastifyInstance>;
  for (let k = 0; k < APP_SIDES.length; k++) {
    const side = APP_SIDES[(g + k) % APP_SIDES.length]!;
    apps[side] = await buildApp(config, { routing: side === 'hook', prettyLogs: false });
    await apps[side].listen({ host: '127.0.0.1', port: 0 });
  }
  return apps;
}

const load1AtStart = loadavg()[0]!;
const started = performance.now();
/** Per generation: the median over its rounds of each ratio; per round, each server's median time. */
const hookRatios: number[] = [];
const directRatios: number[] = [];
const controlRatios: number[] = [];
const medianUs: Record<Side, number[]> = { hook: [], bare: [], control: [], echo: [] };
const echo = await startEcho();
for (let g = 0; g < GENERATIONS; g++) {
  const apps = await buildGeneration(g);
  const port = (side: AppSide) => (apps[side].server.address() as net.AddressInfo).port;
  const clients: Record<Side, Client> = {
    hook: await Client.open(port('hook')),
    bare: await Client.open(port('bare')),
    control: await Client.open(port('control')),
    echo: await Client.open(echo.port),
  };
  await interleaved(clients, WARMUP_REQUESTS);
  const hook: number[] = [];
  const direct: number[] = [];
  const control: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const times = await interleaved(clients, PER_ROUND);
    const m = (side: Side) => quantile(times[side], 0.5);
    const without = (m('bare') + m('control')) / 2;
    // Requests per CPU-second, hook / without = time without / time with; sockets' share taken off both.
    hook.push((without - m('echo')) / (m('hook') - m('echo')));
    direct.push(without / m('hook'));
    control.push((m('bare') - m('echo')) / (m('control') - m('echo')));
    for (const side of SIDES) medianUs[side].push(m(side));
  }
  for (const side of SIDES) clients[side].close();
  await Promise.all(APP_SIDES.map((side) => apps[side].close()));
  hookRatios.push(quantile(hook, 0.5));
  directRatios.push(quantile(direct, 0.5));
  controlRatios.push(quantile(control, 0.5));
}
await echo.close();
const seconds = (performance.now() - started) / 1000;

const hook = medianEstimate(hookRatios);
const control = medianEstimate(controlRatios);
const fmt = (n: number, d = 3) => n.toFixed(d);
const ci = (e: MedianEstimate) => `${fmt(e.median)} (95 % interval ${fmt(e.low)}-${fmt(e.high)})`;
console.log(
  `one process, real HTTP on loopback, ${GENERATIONS} generations of freshly built servers x ${ROUNDS} rounds x ${PER_ROUND} requests per server, interleaved request by request; ${seconds.toFixed(0)} s; load average at start ${load1AtStart.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}`,
);
const names: Record<Side, string> = {
  hook: 'routing hook',
  bare: 'without hook',
  control: 'control (without hook)',
  echo: 'echo (sockets only)',
};
for (const side of SIDES) console.log(`${names[side]}: median ${fmt(quantile(medianUs[side], 0.5), 1)} us a request`);
console.log(`per generation, hook / without: ${hookRatios.map((r) => fmt(r)).join(' ')}`);
console.log(`per generation, control / without: ${controlRatios.map((r) => fmt(r)).join(' ')}`);
console.log(`direct (sockets' share not taken off): ${ci(medianEstimate(directRatios))}`);
console.log(`control: ${ci(control)} (reads 1 when the method favours no server)`);
console.log(`ratio hook / without, requests per CPU-second (a lower bound): ${ci(hook)}`);
const judged = judgeWithControl(hook, control, TARGET_RATIO, 'at-least', CONTROL_TOLERANCE);
console.log(
  `verdict: ${judged.verdict} (ratio ${fmt(hook.median)}, target >= ${TARGET_RATIO})\n  note: ${judged.reason}`,
);
process.exitCode = judged.verdict === 'PASS' ? 0 : 1;
