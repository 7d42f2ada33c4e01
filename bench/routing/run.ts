import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { type CoreTimes, coresBusyPct, coreTimes, type TaskTimes, taskTimes } from '../proc.ts';
import { combineRotations, judgeWithControl, type MedianEstimate, medianEstimate } from '../verdict.ts';

/**
 * The routing hook's cost: a served request (cookie = this Machine) through the app with the hook,
 * against the same app without it. The servers share one core and are loaded AT THE SAME TIME, so
 * whatever else runs on the machine takes from all alike; the figure is requests per CPU-second of
 * each server (all its threads, from the kernel's schedstat), so an uneven split of the core cannot
 * bias it. A third server, a second copy of the one without the hook, is the control: its ratio to the
 * first copy is what the method reads for no difference in this very run. Roles rotate (which server
 * starts and is loaded first), since on a busy machine the role alone moved a ratio by 6-13 %.
 * The verdict is on the median of the rounds with its confidence interval, and only when the control
 * shows the run can resolve a difference the size of the one being judged.
 */
/**
 * The verdict comes from interleaved.ts (servers and client in one process, taking turns request by request):
 * with this method three servers sharing a core could not be told apart within 5 % (bench/README.md).
 * BENCH_WIRE=1 runs this method instead.
 */
if (process.env.BENCH_WIRE !== '1') {
  await import('./interleaved.ts');
  process.exit(process.exitCode ?? 0);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 18);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 2.5);
/**
 * Warm-up by request count, not time: V8 optimises the hot code after so many calls, and on a busy
 * machine its background compiler gets the CPU late, so early timed rounds showed the hook side still
 * unoptimised (ratios 0.83-0.87 in the first rounds, 0.95-1.03 later). Bounded in time all the same.
 */
const WARMUP_REQUESTS = 40_000;
const WARMUP_MAX_SECONDS = 30;
const CONNECTIONS = 50;
const TARGET_RATIO = 0.95;
/** The control must read 1 within this: a run that cannot tell 5 % apart cannot judge a 5 % target. */
const CONTROL_TOLERANCE = 0.05;
/** Below this the load generator, not the servers, set the pace: requests/s then say nothing. */
const SATURATED_CORE_PCT = 90;

/**
 * With two or more cores, both servers share the last core and the load generator (this process) keeps
 * the others, so the servers compete only with each other (and with whatever else runs there).
 */
const SERVER_CPU = availableParallelism() - 1;
const LOAD_CPUS = Array.from({ length: SERVER_CPU }, (_, i) => i);
const pinned =
  SERVER_CPU > 0 &&
  spawnSync('taskset', ['-a', '-p', '-c', LOAD_CPUS.join(','), String(process.pid)], { stdio: 'ignore' }).status === 0;

type Variant = 'hook' | 'bare';
/** `bare` and `control` are the same server (without the hook); `hook` has it, unless BENCH_AA=1. */
type Side = 'hook' | 'bare' | 'control';
const SIDES: readonly Side[] = ['hook', 'bare', 'control'];
/** BENCH_AA=1: the `hook` side runs without the hook too, a check of the whole method (all ratios ~1). */
const AA = process.env.BENCH_AA === '1';

async function start(variant: Variant): Promise<{ child: ChildProcess; port: number }> {
  const argv = [process.execPath, '--import', 'tsx', new URL('./server.ts', import.meta.url).pathname, variant];
  // taskset execs node in place, so the child's pid is the server's.
  const child = pinned
    ? spawn('taskset', ['-c', String(SERVER_CPU), ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(String(chunk).trim()) };
}

async function load(port: number, seconds: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/whoami`,
    headers: { cookie: 'fly-machine-id=0123456789abcd' },
    connections: CONNECTIONS,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`unexpected responses: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total;
}

/** Loads both servers at once until each has answered WARMUP_REQUESTS (or WARMUP_MAX_SECONDS pass). */
function warmUp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const tracker = autocannon(
      {
        url: `http://127.0.0.1:${port}/api/whoami`,
        headers: { cookie: 'fly-machine-id=0123456789abcd' },
        connections: CONNECTIONS,
        amount: WARMUP_REQUESTS,
      },
      (err) => {
        clearTimeout(cap);
        if (err) reject(err);
        else resolve();
      },
    );
    const cap = setTimeout(() => tracker.stop(), WARMUP_MAX_SECONDS * 1000);
  });
}

interface Round {
  requests: Record<Side, number>;
  /** CPU-seconds each server used in the round. */
  cpuS: Record<Side, number>;
  /** Seconds each server was ready to run but waited for the core. */
  waitS: Record<Side, number>;
  /** The servers' core: % used by other work, and idle %. */
  serverCoreOtherPct: number;
  serverCoreIdlePct: number;
  seconds: number;
}

type Servers = Record<Side, { child: ChildProcess; port: number }>;
const rotate = <T>(xs: readonly T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]!);
const perSide = <T>(f: (side: Side) => T): Record<Side, T> => ({
  hook: f('hook'),
  bare: f('bare'),
  control: f('control'),
});

async function round(servers: Servers, seconds: number, loadOrder: readonly Side[]): Promise<Round> {
  const times = (): Record<Side, TaskTimes> =>
    perSide((side) => taskTimes(servers[side].child.pid!) ?? { runNs: 0, waitNs: 0 });
  const t0 = times();
  const c0: CoreTimes | null = coreTimes();
  const started = performance.now();
  const counts = await Promise.all(loadOrder.map((side) => load(servers[side].port, seconds)));
  const requests = perSide((side) => counts[loadOrder.indexOf(side)]!);
  const elapsedS = (performance.now() - started) / 1000;
  const c1 = coreTimes();
  const t1 = times();
  const cpuS = perSide((side) => (t1[side].runNs - t0[side].runNs) / 1e9);
  const ours = (100 * (cpuS.hook + cpuS.bare + cpuS.control)) / elapsedS;
  const busy = pinned ? coresBusyPct(c0, c1, [SERVER_CPU]) : ours;
  return {
    requests,
    cpuS,
    waitS: perSide((side) => (t1[side].waitNs - t0[side].waitNs) / 1e9),
    serverCoreOtherPct: Math.max(0, busy - ours),
    serverCoreIdlePct: Math.max(0, 100 - busy),
    seconds: elapsedS,
  };
}

/**
 * One third of the run: fresh servers started in the given order, warmed up, then its rounds (the
 * order autocannon starts them in rotates by round). Over the three thirds each side holds each start
 * position once.
 */
async function third(startOrder: readonly Side[], rounds: number): Promise<Round[]> {
  const servers = {} as Servers;
  for (const side of startOrder) servers[side] = await start(side === 'hook' && !AA ? 'hook' : 'bare');
  const out: Round[] = [];
  try {
    await Promise.all(SIDES.map((side) => warmUp(servers[side].port)));
    for (let i = 0; i < rounds; i++) out.push(await round(servers, ROUND_SECONDS, rotate(SIDES, i)));
  } finally {
    for (const { child } of Object.values(servers)) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }
  return out;
}

if (AA) console.log('A/A check: the "hook" side runs without the hook too');
const load1AtStart = loadavg()[0]!;
const thirds: Round[][] = [];
for (let t = 0; t < 3; t++) thirds.push(await third(rotate(SIDES, t), Math.max(1, Math.round(ROUNDS / 3))));
const rounds = thirds.flat();

const fmt = (n: number, d = 3) => n.toFixed(d);
const ci = (e: MedianEstimate) => `${fmt(e.median)} (95 % interval ${fmt(e.low)}-${fmt(e.high)})`;
const median = (xs: number[]) => medianEstimate(xs).median;

const perCpu = (r: Round, side: Side) => r.requests[side] / r.cpuS[side];
/** Against the mean of the two servers without the hook; the control is one copy against the other. */
const hookRatio = (r: Round) => perCpu(r, 'hook') / ((perCpu(r, 'bare') + perCpu(r, 'control')) / 2);
const controlRatio = (r: Round) => perCpu(r, 'control') / perCpu(r, 'bare');
const hookRps = (r: Round) => r.requests.hook / ((r.requests.bare + r.requests.control) / 2);
const estimate = (f: (r: Round) => number) => combineRotations(thirds.map((rs) => medianEstimate(rs.map(f))));
const cpuRatio = estimate(hookRatio);
const control = estimate(controlRatio);
const rpsRatio = estimate(hookRps);
const other = median(rounds.map((r) => r.serverCoreOtherPct));
const idle = median(rounds.map((r) => r.serverCoreIdlePct));
const waitPct = median(rounds.map((r) => (100 * (r.waitS.hook + r.waitS.bare + r.waitS.control)) / (3 * r.seconds)));

console.log(
  pinned
    ? `three servers pinned to cpu ${SERVER_CPU}, the load generator to cpu ${LOAD_CPUS.join(',')}; ${rounds.length} rounds x ${ROUND_SECONDS} s, all loaded at once`
    : `not pinned (taskset unavailable or one core); ${rounds.length} rounds x ${ROUND_SECONDS} s, all loaded at once`,
);
console.log(`load average at start ${load1AtStart.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}`);
for (const side of SIDES) {
  const rps = rounds.map((r) => r.requests[side] / r.seconds);
  const eff = rounds.map((r) => perCpu(r, side));
  const name = { hook: 'routing hook', bare: 'without hook', control: 'control (without hook)' }[side];
  console.log(
    `${name}: median ${median(rps).toFixed(0)} req/s, ${median(eff).toFixed(0)} req per CPU-second (rounds ${eff.map((v) => v.toFixed(0)).join(', ')})`,
  );
}
console.log(`per-round ratios hook / without, per CPU-second: ${rounds.map((r) => fmt(hookRatio(r))).join(', ')}`);
console.log(`per-round ratios control / without:              ${rounds.map((r) => fmt(controlRatio(r))).join(', ')}`);
console.log(
  `by start order (hook first, without first, control first): ${thirds.map((rs) => fmt(median(rs.map(hookRatio)))).join(', ')}; the order moved a third by up to ${fmt(cpuRatio.roleEffect * 100, 1)} %`,
);
console.log(
  `the servers' core: other work ${other.toFixed(0)} %, idle ${idle.toFixed(0)} % (median of rounds); each server's event loop waited for it ${waitPct.toFixed(0)} % of the time`,
);
console.log(`control: ${ci(control)} (reads 1 when the method favours no server)`);
console.log(`ratio hook / without, requests per CPU-second: ${ci(cpuRatio)}`);
console.log(`ratio hook / without, requests per second:     ${ci(rpsRatio)}`);

const judged = judgeWithControl(cpuRatio, control, TARGET_RATIO, 'at-least', CONTROL_TOLERANCE);
const notes: string[] = [judged.reason];
if (idle > 100 - SATURATED_CORE_PCT)
  notes.push(
    `the servers' core was ${idle.toFixed(0)} % idle: the load generator set the pace, so req/s compare nothing (per CPU-second still does)`,
  );
if (judged.verdict === 'NOT TRUSTWORTHY') notes.push(`other work took ${other.toFixed(0)} % of the servers' core`);
if (AA) notes.push('A/A check: every side is the same server, so both ratios should read 1');
console.log(
  `verdict: ${judged.verdict} (requests per CPU-second ratio ${fmt(cpuRatio.median)}, target >= ${TARGET_RATIO})${notes.map((n) => `\n  note: ${n}`).join('')}`,
);
process.exitCode = judged.verdict === 'PASS' ? 0 : 1;
