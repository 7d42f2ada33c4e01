import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';

/**
 * Requests/s of a served request (cookie = this Machine) through the app with the routing hook, against
 * the same app without it. Each round measures both sides back to back (alternating which goes first),
 * and the ratio is the median of the per-round ratios: drift on the shared machine hits both sides of
 * a round alike, and one disturbed round cannot move the median.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 2);
const CONNECTIONS = 50;
const TARGET_RATIO = 0.95;

/**
 * With two or more cores, the servers share the last core and the load generator (this process) keeps
 * the others, so the scheduler never makes them take turns on one core (the largest source of noise).
 */
const SERVER_CPU = availableParallelism() - 1;
const pinned =
  SERVER_CPU > 0 &&
  spawnSync('taskset', ['-a', '-p', '-c', `0-${SERVER_CPU - 1}`, String(process.pid)], { stdio: 'ignore' }).status ===
    0;

async function start(variant: 'hook' | 'bare'): Promise<{ child: ChildProcess; port: number }> {
  const argv = [process.execPath, '--import', 'tsx', new URL('./server.ts', import.meta.url).pathname, variant];
  const child = pinned
    ? spawn('taskset', ['-c', String(SERVER_CPU), ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(String(chunk).trim()) };
}

async function load(port: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/whoami`,
    headers: { cookie: 'fly-machine-id=0123456789abcd' },
    connections: CONNECTIONS,
    duration: ROUND_SECONDS,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`unexpected responses: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const hook = await start('hook');
const bare = await start('bare');
try {
  await load(hook.port); // warm-up, both sides
  await load(bare.port);
  const withHook: number[] = [];
  const without: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first so neither always gets the cooler machine.
    const order = round % 2 === 0 ? (['hook', 'bare'] as const) : (['bare', 'hook'] as const);
    for (const side of order)
      (side === 'hook' ? withHook : without).push(await load(side === 'hook' ? hook.port : bare.port));
  }
  const ratios = withHook.map((v, i) => v / without[i]!);
  const ratio = median(ratios);
  console.log(
    pinned
      ? `servers pinned to cpu ${SERVER_CPU}, load generator to the others`
      : 'not pinned (taskset unavailable or one core)',
  );
  console.log(
    `routing hook: median ${median(withHook).toFixed(0)} req/s (rounds ${withHook.map((v) => v.toFixed(0)).join(', ')})`,
  );
  console.log(
    `without hook: median ${median(without).toFixed(0)} req/s (rounds ${without.map((v) => v.toFixed(0)).join(', ')})`,
  );
  console.log(`per-round ratios: ${ratios.map((r) => r.toFixed(3)).join(', ')}`);
  console.log(
    `ratio hook/bare (median of rounds): ${ratio.toFixed(3)} (target >= ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`,
  );
  process.exitCode = ratio >= TARGET_RATIO ? 0 : 1;
} finally {
  hook.child.kill('SIGTERM');
  bare.child.kill('SIGTERM');
}
