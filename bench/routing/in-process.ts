import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';
import { judgeWithControl, type MedianEstimate, medianEstimate } from '../verdict.ts';

/**
 * The routing hook's cost on a request it serves here (`GET /api/whoami` with the `fly-machine-id` cookie
 * naming this Machine), as a LOWER BOUND: requests per CPU-second of the whole app built by `buildApp` with
 * the hook, against the same app without it, both driven in this process by Fastify's `inject` (the full
 * request lifecycle: hooks, cookie parsing, routing, schemas, serialisation; no socket, no HTTP parser).
 * Leaving out the socket and the parser leaves out work both sides do alike, so the ratio read here is at
 * most what a request over the wire shows: (a + n) / (a + n + h) >= a / (a + h) for the hook's cost h,
 * the app's a and the network's n. Passing here passes there.
 *
 * Three apps: the hook side, the side without it and a control (a second copy without it: what the method
 * reads for no difference, in this very run). Rounds of BATCH requests per app, one app at a time, the
 * order rotating; each batch's cost is the CPU time of this process's main thread, so other work on the
 * machine that takes the core away is not counted. Over the wire, three servers sharing a core could not be
 * told apart within 5 % (the control read 0.89-1.14): see bench/README.md.
 *
 *   BENCH_INPROCESS=1 npm run bench -- routing   (about 50 s)
 */
await main();

/**
 * CPU time of this process's main thread (the kernel's schedstat, ns): the requests run there. V8's
 * helper threads (concurrent marking, compiling) run when they please and would land a batch's garbage
 * on another batch; process.cpuUsage counts them (it read 121-133 % of wall time) and scattered the
 * control over 0.89-1.05.
 */
function mainThreadNs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
}

async function main(): Promise<void> {
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
  const BATCH = Number(process.env.BENCH_BATCH ?? 2000);
  /** V8 optimises the hot path by call count: every app answers this many before the first round. */
  const WARMUP_REQUESTS = 30_000;
  const YIELD_EVERY = 20;
  const TARGET_RATIO = 0.95;
  const CONTROL_TOLERANCE = 0.05;
  const SELF = '0123456789abcd';
  type Side = 'hook' | 'bare' | 'control';
  const SIDES: readonly Side[] = ['hook', 'bare', 'control'];

  const build = (routing: boolean) =>
    buildApp(testConfig({ machine: { id: SELF, region: 'ams' } }), { routing, prettyLogs: false });
  const apps: Record<Side, FastifyInstance> = {
    hook: await build(true),
    bare: await build(false),
    control: await build(false),
  };
  await Promise.all(SIDES.map((side) => apps[side].ready()));

  const request = { method: 'GET' as const, url: '/api/whoami', headers: { cookie: `fly-machine-id=${SELF}` } };
  async function batch(app: FastifyInstance, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const res = await app.inject(request);
      if (res.statusCode !== 200) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
      // inject answers on the microtask queue, so a loop of them never reaches the event loop: each
      // response's setImmediate (its socket's clean-up) would pile up, holding every response (16 KB a
      // request: the heap reached 3.3 GB). Turn the loop as a server's would.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  // The hook side must serve, not replay: its answer names this Machine.
  const probe = await apps.hook.inject(request);
  if (probe.statusCode !== 200 || probe.headers['fly-replay'] !== undefined) throw new Error('the hook did not serve');

  const load1AtStart = loadavg()[0]!;
  for (const side of SIDES) await batch(apps[side], WARMUP_REQUESTS);

  /** Requests per CPU-second of each side, per round. */
  const perCpu: Record<Side, number[]> = { hook: [], bare: [], control: [] };
  const started = performance.now();
  let cpuTotalUs = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < SIDES.length; k++) {
      const side = SIDES[(r + k) % SIDES.length]!;
      const c0 = mainThreadNs();
      await batch(apps[side], BATCH);
      const us = (mainThreadNs() - c0) / 1000;
      cpuTotalUs += us;
      perCpu[side].push(BATCH / (us / 1e6));
    }
  }
  const wallS = (performance.now() - started) / 1000;
  await Promise.all(SIDES.map((side) => apps[side].close()));

  const ratios = (num: Side, den: (r: number) => number) => perCpu[num].map((v, r) => v / den(r));
  const hook = medianEstimate(ratios('hook', (r) => (perCpu.bare[r]! + perCpu.control[r]!) / 2));
  const control = medianEstimate(ratios('control', (r) => perCpu.bare[r]!));
  const fmt = (n: number, d = 3) => n.toFixed(d);
  const ci = (e: MedianEstimate) => `${fmt(e.median)} (95 % interval ${fmt(e.low)}-${fmt(e.high)})`;
  console.log(
    `in-process (Fastify inject), ${ROUNDS} rounds x ${BATCH} requests per app, one app at a time, order rotating; load average at start ${load1AtStart.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}`,
  );
  for (const side of SIDES) {
    const name = { hook: 'routing hook', bare: 'without hook', control: 'control (without hook)' }[side];
    const m = medianEstimate(perCpu[side]).median;
    console.log(`${name}: median ${m.toFixed(0)} requests per CPU-second (${fmt(1e6 / m, 1)} us a request)`);
  }
  console.log(
    `this process had the CPU ${((100 * cpuTotalUs) / 1e6 / wallS).toFixed(0)} % of the rounds' wall time (the rest: waiting for a core, other work)`,
  );
  console.log(`control: ${ci(control)} (reads 1 when the method favours no app)`);
  console.log(`ratio hook / without, requests per CPU-second (a lower bound of the over-the-wire ratio): ${ci(hook)}`);
  const judged = judgeWithControl(hook, control, TARGET_RATIO, 'at-least', CONTROL_TOLERANCE);
  console.log(
    `verdict: ${judged.verdict} (ratio ${fmt(hook.median)}, target >= ${TARGET_RATIO})\n  note: ${judged.reason}`,
  );
  process.exitCode = judged.verdict === 'PASS' ? 0 : 1;
}
