/**
 * bench/convergence: how fast the stream directory converges across in-process Machines that find each
 * other through localfly's real `.internal` DNS server (UDP, Node's resolver, as with FLY_DNS_SERVER).
 *
 * For 3 and 10 Machines: a stream starting on one Machine -> listed on all others, with push (target
 * p99 <= 200 ms) and with push off (the pull-only baseline in the same run; target <= interval + 1 s);
 * a killed Machine -> gone from every list (target <= 3 x interval); discovery requests per Machine per
 * interval while nothing changes. Bounded: a fixed number of trials, each with a deadline.
 *
 * Run: npm run bench -- convergence   (or: npx tsx bench/convergence/run.ts)
 */
import { type DnsServer, startDnsServer } from '../../localfly/dns/server.ts';
import { Cluster, type ClusterDns, type ClusterNode, type DnsMachine } from '../../test/support/directory-cluster.ts';

const INTERVAL_MS = 1000;
const INTERNAL_PORT = 23086;
/** Loopback addresses 127.0.23.200-229 are this benchmark's. */
const FIRST_HOST = 200;
const SIZES = [3, 10] as const;
const START_TRIALS = { push: 30, pull: 8 } as const;
const KILLS = 3;
const QUIET_INTERVALS = 3;
const TRIAL_DEADLINE_MS = INTERVAL_MS * 3 + 2000;

class LocalflyDns implements ClusterDns {
  server: string | null = null;
  private machines: { app: string; list: DnsMachine[] } = { app: '', list: [] };
  private running: DnsServer | null = null;

  async start(): Promise<void> {
    this.running = await startDnsServer({
      host: '127.0.0.1',
      port: 0,
      view: () => ({
        apps: [
          {
            name: this.machines.app,
            machines: this.machines.list.map((m) => ({
              id: m.id,
              region: m.region,
              state: 'started' as const,
              address: m.address,
              port: 8080,
              privateIp: `::ffff:${m.address}`,
              processGroup: 'app',
            })),
          },
        ],
        defaultRegion: 'ams',
      }),
    });
    this.server = this.running.address;
  }

  publish(app: string, machines: readonly DnsMachine[]): void {
    this.machines = { app, list: [...machines] };
  }

  close(): Promise<void> {
    return this.running?.close() ?? Promise.resolve();
  }
}

/** Resolves with ms until `seen(node)` holds on every node (checked on each directory change). */
function timeUntilAll(
  nodes: readonly ClusterNode[],
  seen: (node: ClusterNode) => boolean,
  t0: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const pending = new Set(nodes);
    const unsubs: (() => void)[] = [];
    const finish = (err?: Error) => {
      clearTimeout(timer);
      for (const u of unsubs) u();
      if (err) reject(err);
      else resolve(performance.now() - t0);
    };
    const check = (node: ClusterNode) => {
      if (pending.has(node) && seen(node)) pending.delete(node);
      if (pending.size === 0) finish();
    };
    const timer = setTimeout(
      () => finish(new Error(`not converged within ${TRIAL_DEADLINE_MS} ms`)),
      TRIAL_DEADLINE_MS,
    );
    for (const node of nodes) unsubs.push(node.directory.onViewChange(() => check(node)));
    for (const node of nodes) check(node);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1]! };
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function startTrials(size: number, push: boolean, trials: number, firstHost: number): Promise<number[]> {
  const dns = new LocalflyDns();
  await dns.start();
  const addresses = Array.from({ length: size }, (_, i) => `127.0.23.${firstHost + i}`);
  const cluster = await Cluster.start({
    addresses,
    internalPort: INTERNAL_PORT,
    discoveryIntervalMs: INTERVAL_MS,
    push,
    dns,
    appName: 'bench-convergence',
  });
  try {
    const samples: number[] = [];
    for (let i = 0; i < trials; i++) {
      const origin = cluster.nodes[i % size]!;
      const others = cluster.others(origin);
      const id = `s-${push ? 'push' : 'pull'}-${size}-${i}`;
      // Without push, the wait depends on where in the discovery cycle the stream starts: randomise it,
      // or back-to-back trials would all start just after a round.
      if (!push) await new Promise((resolve) => setTimeout(resolve, Math.random() * INTERVAL_MS));
      const t0 = performance.now();
      origin.source.start({ id });
      samples.push(await timeUntilAll(others, (n) => n.directory.get(id) !== undefined, t0));
      const t1 = performance.now();
      origin.source.end(id);
      await timeUntilAll(others, (n) => n.directory.get(id) === undefined, t1);
    }
    return samples;
  } finally {
    await cluster.close();
    await dns.close();
  }
}

interface Quiet {
  dnsQueries: number;
  fetches: number;
  notModified: number;
}

async function killAndQuiet(size: number, firstHost: number): Promise<{ kills: number[]; quiet: Quiet }> {
  const dns = new LocalflyDns();
  await dns.start();
  const addresses = Array.from({ length: size }, (_, i) => `127.0.23.${firstHost + i}`);
  const cluster = await Cluster.start({
    addresses,
    internalPort: INTERNAL_PORT,
    discoveryIntervalMs: INTERVAL_MS,
    dns,
    appName: 'bench-convergence',
  });
  try {
    for (const [i, node] of cluster.nodes.entries()) node.source.start({ id: `quiet-${i}` });
    await timeUntilAll(cluster.nodes, (n) => n.directory.list().length === size, performance.now());

    // Discovery cost while nothing changes: the window is the measurement, so it is a fixed wait.
    const before = cluster.nodes.map((n) => n.directory.stats());
    await new Promise((resolve) => setTimeout(resolve, QUIET_INTERVALS * INTERVAL_MS));
    const after = cluster.nodes.map((n) => n.directory.stats());
    const per = (pick: (s: (typeof after)[number]) => number) =>
      after.reduce((sum, s, i) => sum + pick(s) - pick(before[i]!), 0) / size / QUIET_INTERVALS;
    const quiet = {
      dnsQueries: per((s) => s.dnsQueries),
      fetches: per((s) => s.fetches),
      notModified: per((s) => s.fetchesNotModified),
    };

    const kills: number[] = [];
    for (let k = 0; k < Math.min(KILLS, size - 2); k++) {
      const victim = cluster.nodes.filter((n) => n.alive)[1]!;
      const survivors = cluster.others(victim);
      const t0 = performance.now();
      await cluster.kill(victim);
      kills.push(
        await timeUntilAll(survivors, (n) => !n.directory.view().machines.some((m) => m.id === victim.id), t0),
      );
    }
    return { kills, quiet };
  } finally {
    await cluster.close();
    await dns.close();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`discovery interval ${INTERVAL_MS} ms; Machines in-process on 127.0.23.x, localfly DNS over UDP`);
  let failed = 0;
  const verdict = (ok: boolean) => {
    if (!ok) failed++;
    return ok ? 'ok' : 'MISSED';
  };
  const rows: string[] = [];
  for (const size of SIZES) {
    const push = summary(await startTrials(size, true, START_TRIALS.push, FIRST_HOST));
    const pull = summary(await startTrials(size, false, START_TRIALS.pull, FIRST_HOST));
    const { kills, quiet } = await killAndQuiet(size, FIRST_HOST);
    const kill = summary(kills);
    console.log(`\n${size} Machines`);
    console.log(
      `  start -> listed everywhere, push on  (n=${push.n}): p50 ${fmt(push.p50)}  p99 ${fmt(push.p99)}  max ${fmt(push.max)}  target p99 <= 200 ms: ${verdict(push.p99 <= 200)}`,
    );
    console.log(
      `  start -> listed everywhere, push off (n=${pull.n}): p50 ${fmt(pull.p50)}  p99 ${fmt(pull.p99)}  max ${fmt(pull.max)}  target <= ${INTERVAL_MS + 1000} ms: ${verdict(pull.max <= INTERVAL_MS + 1000)}`,
    );
    console.log(`  push/pull ratio: p50 ${(push.p50 / pull.p50).toFixed(4)}  p99 ${(push.p99 / pull.p99).toFixed(4)}`);
    console.log(
      `  killed -> gone everywhere (n=${kill.n}): p50 ${fmt(kill.p50)}  max ${fmt(kill.max)}  target <= ${3 * INTERVAL_MS} ms: ${verdict(kill.max <= 3 * INTERVAL_MS)}`,
    );
    console.log(
      `  discovery per Machine per interval (quiet): ${quiet.dnsQueries.toFixed(2)} DNS queries, ${quiet.fetches.toFixed(2)} snapshot fetches (${quiet.notModified.toFixed(2)} answered 304)`,
    );
    rows.push(
      `| ${size} | ${fmt(push.p50)} / ${fmt(push.p99)} | ${fmt(pull.p50)} / ${fmt(pull.p99)} | ${(push.p99 / pull.p99).toFixed(3)} | ${fmt(kill.p50)} / ${fmt(kill.max)} | ${quiet.dnsQueries.toFixed(1)} DNS + ${quiet.fetches.toFixed(1)} fetches (${quiet.notModified.toFixed(1)} x 304) |`,
    );
  }
  console.log(
    '\nMarkdown rows (Machines | push p50/p99 | pull-only p50/p99 | p99 ratio | kill p50/max | per Machine per interval):',
  );
  for (const row of rows) console.log(row);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failed > 0 ? 1 : 0);
}

await main();
