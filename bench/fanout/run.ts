import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import {
  type Check,
  type RetryLimits,
  type RoundFigures,
  ratios,
  roundOrder,
  type SideSummary,
  shouldRetry,
  summarise,
  verdicts,
} from './rounds.ts';
import type { RunParams, RunResult } from './viewers.ts';

/**
 * Fan-out: 1 publisher -> N viewers at 30 fps x 10 KB through the replaycast relay, against a bare
 * `ws` broadcast loop measured in the same run. Server, viewers and this orchestrator are separate
 * processes, so the server's CPU and memory are its own. Each viewer count runs as interleaved
 * rounds (relay and bare alternating, A B B A ...), each round a fresh server and load generator;
 * the verdicts are on the ratio of the medians. See bench/README.md for the figures.
 *
 *   npm run bench -- fanout                  (about 3.5 minutes; BENCH_STALL_BARE=1 adds ~35 s)
 *   BENCH_QUICK=1 npm run bench -- fanout    (2 rounds each, shorter windows, for a smoke run)
 */
const quick = process.env.BENCH_QUICK === '1';
const FPS = 30;
const FRAME_BYTES = 10 * 1024;
const WARMUP_MS = 2000;
const ROUND_MS = quick ? 3000 : 5000;
/** Rounds per side for each viewer count; where the two cores saturate the noise is larger, so more. */
const ROUNDS_EACH = quick ? 2 : 3;
const ROUNDS_EACH_SATURATED = quick ? 2 : 4;
const SATURATED_FROM_VIEWERS = 2000;
const roundsFor = (viewers: number) =>
  Number(process.env.BENCH_ROUNDS ?? (viewers >= SATURATED_FROM_VIEWERS ? ROUNDS_EACH_SATURATED : ROUNDS_EACH));
/**
 * A round during which other jobs used this much CPU is run again (bounded), after a pause. Quiet
 * rounds show 0-15 % here (loopback work the kernel charges to neither process).
 */
const RETRY: RetryLimits = { maxRestPct: 25, maxRetriesPerRound: 2, maxRetriesPerRun: 4 };
const RETRY_PAUSE_MS = 10_000;
/** The memory window with stalled viewers: one run per side, long enough for the relay to cut them. */
const MEMORY_MS = quick ? 10_000 : 30_000;
const DRAIN_MS = 1500;
/** Healthy viewers ack every 500 ms of media time, each at its own phase (see viewers.ts). */
const ACK_INTERVAL_MS = 500;
const SAMPLE_INTERVAL_MS = 1000;
const SAMPLE_TIMEOUT_MS = 10_000;
const VIEWER_COUNTS = (process.env.BENCH_VIEWERS ?? '1000,2000').split(',').map(Number);
/** 0 leaves out the stalled-viewer rounds and the memory run (for experiments on the clean fan-out). */
const STALL_VIEWERS = Number(process.env.BENCH_STALL_VIEWERS ?? 1000);
const STALLED_FRACTION = 0.1;
/** The bare loop's 30 s run with stalled viewers (what the relay's policy prevents) is optional: it adds ~35 s. */
const STALL_BARE = process.env.BENCH_STALL_BARE === '1';
/** Above this 1-minute load average other jobs share the cores and the figures mean little. */
const QUIET_LOAD_1MIN = 1.5;

const TARGET_DELIVERED_RATIO = 0.95;
const TARGET_P99_RATIO = 1.25;
const TARGET_MEMORY_GROWTH_MB = 64;

/**
 * BENCH_AUDIO=1: the publisher also sends 60 ms Opus-sized audio frames (what the go-live page sends:
 * about 17 a second, ~370 bytes at 48 kbit/s), to relay and bare loop alike, so a viewer gets about
 * 47 messages a second in all.
 */
const AUDIO = process.env.BENCH_AUDIO === '1';
const AUDIO_FPS = AUDIO ? 1000 / 60 : 0;
const AUDIO_FRAME_BYTES = 370;

const execArgv = ['--import', 'tsx'];
const here = (f: string) => new URL(f, import.meta.url).pathname;

interface Sample {
  atMs: number;
  memory: NodeJS.MemoryUsage;
  cpu: NodeJS.CpuUsage;
  stats: Record<string, number>;
}

type Kind = 'relay' | 'bare' | 'relay-stalled';

interface Outcome {
  label: string;
  variant: 'relay' | 'bare';
  viewers: number;
  stalled: number;
  result: RunResult;
  figures: RoundFigures;
  load1: number;
  /** Machine CPU in the window not used by the server or the load generator (kernel loopback work, other jobs), % of one core. */
  restPct: number;
  rssConnectedMb: number;
  rssStartMb: number;
  rssEndMb: number;
  rssPeakMb: number;
  serverStats: Record<string, number>;
  kernelTcpPeakMb: number;
}

const mb = (bytes: number) => bytes / (1024 * 1024);

/** Kernel memory held by all TCP sockets (Linux), MB: a stalled reader fills buffers here first. */
function kernelTcpMb(): number {
  try {
    const pages = /TCP:.* mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1];
    return pages === undefined ? 0 : (Number(pages) * 4096) / (1024 * 1024);
  } catch {
    return 0;
  }
}

/** Busy and total CPU time of the whole machine (Linux /proc/stat, in clock ticks). */
function machineCpu(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Asks the server process for samples; replies are matched by id, so overlapping requests never mix. */
class ServerProbe {
  private nextId = 0;
  private readonly pending = new Map<number, (s: Sample) => void>();

  constructor(private readonly server: ChildProcess) {
    server.on('message', (msg: { type: string; id?: number } & Sample) => {
      if (msg.type !== 'sample' || msg.id === undefined) return;
      this.pending.get(msg.id)?.(msg);
      this.pending.delete(msg.id);
    });
  }

  sample(): Promise<Sample> {
    const id = this.nextId++;
    return new Promise<Sample>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`server sample ${id} not answered in ${SAMPLE_TIMEOUT_MS} ms`));
      }, SAMPLE_TIMEOUT_MS);
      this.pending.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.server.send({ type: 'sample', id });
    });
  }
}

/** One round: a fresh server and load generator, warm-up, a measured window, drain, both processes gone. */
async function runRound(
  variant: 'relay' | 'bare',
  viewers: number,
  stalled: number,
  measureMs: number,
): Promise<Outcome> {
  const load1 = loadavg()[0]!;
  // BENCH_SERVER_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the server.
  const serverArgv = [...execArgv, ...(process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean)];
  const server = fork(here('./server.ts'), [variant], {
    execArgv: serverArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(server, 'message')) as [{ port: number; watchPath: string; publishPath: string }];
  const probe = new ServerProbe(server);
  // No forced GC: a full collection in the server would stall every viewer at once and show up in
  // the p99 it is measuring. RSS is what the target is about.
  const load: ChildProcess = fork(here('./viewers.ts'), [], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const loadExited = once(load, 'exit');
  const params: RunParams = {
    port: ready.port,
    watchPath: ready.watchPath,
    publishPath: ready.publishPath,
    viewers,
    stalled,
    fps: FPS,
    frameBytes: FRAME_BYTES,
    warmupMs: WARMUP_MS,
    measureMs,
    drainMs: DRAIN_MS,
    ackIntervalMs: ACK_INTERVAL_MS,
    audioFps: AUDIO_FPS,
    audioFrameBytes: AUDIO_FRAME_BYTES,
  };
  load.send({ type: 'run', params });

  let connected: Promise<Sample> | null = null;
  let start: Promise<Sample> | null = null;
  let end: Promise<Sample> | null = null;
  const during: Promise<Sample>[] = [];
  let kernelPeak = 0;
  let cpuAtStart = machineCpu();
  let cpuAtEnd = cpuAtStart;
  let sampler: NodeJS.Timeout | null = null;
  const stopSampler = () => {
    if (sampler) clearInterval(sampler);
    sampler = null;
  };
  let result: RunResult;
  try {
    result = await new Promise<RunResult>((resolve, reject) => {
      load.on('message', (msg: { type: string; phase?: string; message?: string }) => {
        if (msg.type === 'phase' && msg.phase === 'connected') {
          connected = probe.sample();
        } else if (msg.type === 'phase' && msg.phase === 'measure-start') {
          start = probe.sample();
          cpuAtStart = machineCpu();
          sampler = setInterval(() => {
            kernelPeak = Math.max(kernelPeak, kernelTcpMb());
            during.push(probe.sample());
          }, SAMPLE_INTERVAL_MS);
        } else if (msg.type === 'phase' && msg.phase === 'measure-end') {
          stopSampler();
          end = probe.sample();
          cpuAtEnd = machineCpu();
        } else if (msg.type === 'result') {
          resolve(msg as unknown as RunResult);
        } else if (msg.type === 'error') {
          reject(new Error(msg.message));
        }
      });
      load.once('exit', (code) => code !== 0 && reject(new Error(`viewers process exited with ${code}`)));
    });
  } finally {
    stopSampler();
  }
  if (connected === null || start === null || end === null) throw new Error('the load generator skipped a phase');
  const [c, s, e, ...mid] = await Promise.all([connected, start, end, ...during] as Promise<Sample>[]);
  const serverExited = once(server, 'exit');
  server.send({ type: 'close' });
  // Both processes gone (their sockets closed) before the next round starts.
  await Promise.all([serverExited, loadExited]);
  const cpuUs = e!.cpu.user + e!.cpu.system - (s!.cpu.user + s!.cpu.system);
  const cpuPct = (100 * cpuUs) / 1000 / (e!.atMs - s!.atMs);
  const ticks = cpuAtEnd.total - cpuAtStart.total;
  const machinePct = ticks > 0 ? (100 * availableParallelism() * (cpuAtEnd.busy - cpuAtStart.busy)) / ticks : 0;
  const rssPeak = Math.max(s!.memory.rss, e!.memory.rss, ...mid.map((m) => m.memory.rss));
  return {
    label: `${variant} ${viewers}${stalled ? ` (${stalled} stalled)` : ''}`,
    variant,
    viewers,
    stalled,
    result,
    figures: {
      deliveredFraction: result.delivered / result.expected,
      lossFrames: result.missingFrames,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      cpuPct,
    },
    load1,
    restPct: Math.max(0, machinePct - cpuPct - result.loadCpuPct),
    rssConnectedMb: mb(c!.memory.rss),
    rssStartMb: mb(s!.memory.rss),
    rssEndMb: mb(e!.memory.rss),
    rssPeakMb: mb(rssPeak),
    serverStats: e!.stats,
    kernelTcpPeakMb: kernelPeak,
  };
}

function show(prefix: string, o: Outcome): void {
  const r = o.result;
  const f = o.figures;
  const st = o.serverStats;
  const relayNote =
    o.variant === 'relay' && (o.stalled > 0 || st.framesSkipped! > 0)
      ? `, behind backlog/lag ${st.viewersBehindBacklog}/${st.viewersBehindLag}, skipped ${st.framesSkipped}, closed ${st.slowViewersClosed}`
      : '';
  console.log(
    `${prefix} ${o.label.padEnd(24)} delivered ${f.deliveredFraction.toFixed(4)}, loss ${r.missingFrames} frames in ${r.viewersWithLoss} viewers, ` +
      `p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms, CPU server ${f.cpuPct.toFixed(0)} % viewers ${r.loadCpuPct.toFixed(0)} % rest ${o.restPct.toFixed(0)} %, ` +
      `load ${o.load1.toFixed(2)}, RSS ${o.rssStartMb.toFixed(0)} -> ${o.rssEndMb.toFixed(0)} MB (peak ${o.rssPeakMb.toFixed(0)}), kernel TCP peak ${o.kernelTcpPeakMb.toFixed(0)} MB, loop delay max server ${st.loopDelayMaxMs!.toFixed(0)} ms viewers ${r.loadLoopDelayMaxMs.toFixed(0)} ms, publish gap max ${r.publishGapMaxMs.toFixed(0)} ms, connect ${r.connectMs} ms${relayNote}`,
  );
  if (process.env.BENCH_TIMELINE === '1') {
    const warm = r.maxMsBySecond.slice(0, r.windowStartSecond).join(' ');
    console.log(
      `  worst latency per second since the first frame (ms): ${warm} | window: ${r.maxMsBySecond.slice(r.windowStartSecond).join(' ')}`,
    );
  }
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** Markdown rows: per-round p99s, then medians, for a side. */
function summaryRow(name: string, rounds: Outcome[], s: SideSummary): string {
  const perRound = rounds.map((o) => `${fmt(o.figures.p99Ms)}`).join(', ');
  return `| ${name} | ${s.rounds} | ${perRound} | ${s.deliveredFraction.toFixed(4)} | ${s.lossFrames} | ${fmt(s.p50Ms)} | ${fmt(s.p99Ms)} | ${fmt(s.cpuPct, 0)} % |`;
}

function printComparison(title: string, relayName: string, relay: Outcome[], bare: Outcome[], checks: Check[]): void {
  const rs = summarise(relay.map((o) => o.figures));
  const bs = summarise(bare.map((o) => o.figures));
  const r = ratios(rs, bs);
  console.log(`\n${title}`);
  console.log(
    '| side | rounds | p99 per round, ms (in run order) | delivered, median | healthy loss, all rounds | p50 ms, median | p99 ms, median | server CPU, median |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(summaryRow(relayName, relay, rs));
  console.log(summaryRow('bare', bare, bs));
  console.log(
    `| ratio relay / bare | | | ${fmt(r.delivered, 3)} | | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpu, 2)} |`,
  );
  const found = verdicts(title, rs, bs, { minDeliveredRatio: TARGET_DELIVERED_RATIO, maxP99Ratio: TARGET_P99_RATIO });
  for (const c of found) console.log(`  ${c.ok ? 'PASS' : 'FAIL'} ${c.what}`);
  checks.push(...found);
}

// -- the plan ---------------------------------------------------------------------------------------

const stalledCount = Math.round(STALL_VIEWERS * STALLED_FRACTION);
const plan: Array<{ viewers: number; kinds: Kind[] }> = VIEWER_COUNTS.map((viewers) => ({
  viewers,
  kinds: viewers === STALL_VIEWERS ? ['relay', 'bare', 'relay-stalled'] : ['relay', 'bare'],
}));
if (STALL_VIEWERS > 0 && !VIEWER_COUNTS.includes(STALL_VIEWERS))
  plan.push({ viewers: STALL_VIEWERS, kinds: ['relay-stalled', 'bare'] });
const totalRounds = plan.reduce((n, p) => n + p.kinds.length * roundsFor(p.viewers), 0);

const startLoad = loadavg()[0]!;
console.log(
  `fanout: ${FPS} fps x ${FRAME_BYTES / 1024} KB; ${totalRounds} interleaved rounds (${plan.map((p) => `${roundsFor(p.viewers)} per side at ${p.viewers}`).join(', ')}) of ` +
    `${WARMUP_MS / 1000} s warm-up + ${ROUND_MS / 1000} s window; then ${MEMORY_MS / 1000} s memory run(s) with ${stalledCount} of ${STALL_VIEWERS} viewers stalled; ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
if (AUDIO)
  console.log(
    `audio on: ${fmt(AUDIO_FPS)} audio frames a second of ${AUDIO_FRAME_BYTES} bytes besides the pictures, to relay and bare loop alike`,
  );
if (startLoad >= QUIET_LOAD_1MIN)
  console.log(
    `WARNING: 1-minute load average ${startLoad.toFixed(2)} >= ${QUIET_LOAD_1MIN}: other jobs share the cores; the figures will be noisy`,
  );

const began = performance.now();
const checks: Check[] = [];
let roundNo = 0;
let retries = 0;
let suspectKept = 0;
const byKind = new Map<string, Outcome[]>();
for (const { viewers, kinds } of plan) {
  for (const kind of roundOrder(kinds, roundsFor(viewers))) {
    roundNo++;
    let o: Outcome;
    for (let attempt = 0; ; attempt++) {
      o = await runRound(
        kind === 'bare' ? 'bare' : 'relay',
        viewers,
        kind === 'relay-stalled' ? stalledCount : 0,
        ROUND_MS,
      );
      show(`round ${String(roundNo).padStart(2)}/${totalRounds}${attempt > 0 ? ` (again, ${attempt})` : ''}`, o);
      if (AUDIO) console.log(`  messages per viewer per second: ${fmt(o.result.sentInWindow / (ROUND_MS / 1000))}`);
      if (!shouldRetry(o.restPct, attempt, retries, RETRY)) break;
      retries++;
      console.log(
        `  discarded: ${o.restPct.toFixed(0)} % of a core went to other work (> ${RETRY.maxRestPct} %); again in ${RETRY_PAUSE_MS / 1000} s`,
      );
      await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
    }
    if (o.restPct > RETRY.maxRestPct) {
      suspectKept++;
      console.log(`  kept although ${o.restPct.toFixed(0)} % of a core went to other work: the retry budget is spent`);
    }
    const key = `${kind} ${viewers}`;
    byKind.set(key, [...(byKind.get(key) ?? []), o]);
  }
  printComparison(
    `${viewers} viewers`,
    'relay',
    byKind.get(`relay ${viewers}`)!,
    byKind.get(`bare ${viewers}`)!,
    checks,
  );
}
if (STALL_VIEWERS > 0) {
  printComparison(
    `${STALL_VIEWERS} viewers, ${stalledCount} stalled: healthy viewers vs bare without stalls`,
    `relay, ${stalledCount} stalled`,
    byKind.get(`relay-stalled ${STALL_VIEWERS}`)!,
    byKind.get(`bare ${STALL_VIEWERS}`)!,
    checks,
  );

  // The memory window: long enough for the relay to skip the stalled viewers and then close them.
  console.log('');
  const relayMem = await runRound('relay', STALL_VIEWERS, stalledCount, MEMORY_MS);
  show('memory', relayMem);
  const bareMem = STALL_BARE ? await runRound('bare', STALL_VIEWERS, stalledCount, MEMORY_MS) : null;
  if (bareMem) show('memory', bareMem);
  const growth = relayMem.rssPeakMb - relayMem.rssStartMb;
  const st = relayMem.serverStats;
  console.log(
    `  ${MEMORY_MS / 1000} s with ${stalledCount} of ${STALL_VIEWERS} viewers stalled: relay RSS peak growth over the window ${fmt(growth)} MB ` +
      `(since all viewers connected, before any frame: ${fmt(relayMem.rssPeakMb - relayMem.rssConnectedMb)} MB), kernel TCP peak ${fmt(relayMem.kernelTcpPeakMb, 0)} MB, ` +
      `healthy p99 ${fmt(relayMem.figures.p99Ms)} ms, healthy loss ${relayMem.result.missingFrames}; stalled viewers closed ${st.slowViewersClosed} ` +
      `(behind by backlog/lag ${st.viewersBehindBacklog}/${st.viewersBehindLag}, frames skipped ${st.framesSkipped})` +
      (bareMem
        ? `; bare loop: RSS peak growth ${fmt(bareMem.rssPeakMb - bareMem.rssStartMb)} MB, kernel TCP peak ${fmt(bareMem.kernelTcpPeakMb, 0)} MB, healthy p99 ${fmt(bareMem.figures.p99Ms)} ms`
        : ''),
  );
  checks.push({
    what: `stalled ${MEMORY_MS / 1000} s: relay server RSS peak growth ${fmt(growth)} MB <= ${TARGET_MEMORY_GROWTH_MB} MB`,
    ok: growth <= TARGET_MEMORY_GROWTH_MB,
  });
  checks.push({
    what: `stalled ${MEMORY_MS / 1000} s: relay healthy loss ${relayMem.result.missingFrames} = 0`,
    ok: relayMem.result.missingFrames === 0,
  });
}

console.log(
  `\nall checks (took ${fmt((performance.now() - began) / 1000, 0)} s; ${retries} rounds run again for other work on the machine, ${suspectKept} kept with it; ` +
    `load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}):`,
);
for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'} ${c.what}`);
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
