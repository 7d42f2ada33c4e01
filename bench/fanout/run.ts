import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { RunParams, RunResult } from './viewers.ts';

/**
 * Fan-out: 1 publisher -> N viewers at 30 fps x 10 KB through the replaycast relay, against a bare
 * `ws` broadcast loop measured in the same run. Server, viewers and this orchestrator are separate
 * processes, so the server's CPU and memory are its own. See bench/README.md for the figures.
 *
 *   npm run bench -- fanout            (about 2 minutes)
 *   BENCH_QUICK=1 npm run bench -- fanout   (shorter windows, for a smoke run)
 */
const quick = process.env.BENCH_QUICK === '1';
const FPS = 30;
const FRAME_BYTES = 10 * 1024;
const WARMUP_MS = 2000;
const MEASURE_MS = quick ? 4000 : 10_000;
const STALL_MEASURE_MS = quick ? 10_000 : 30_000;
const DRAIN_MS = 1500;
const ACK_INTERVAL_MS = 500;
const VIEWER_COUNTS = (process.env.BENCH_VIEWERS ?? '1000,2000').split(',').map(Number);
const STALL_VIEWERS = Number(process.env.BENCH_STALL_VIEWERS ?? 1000);
const STALLED_FRACTION = 0.1;

const TARGET_DELIVERED_RATIO = 0.95;
const TARGET_P99_RATIO = 1.25;
const TARGET_MEMORY_GROWTH_MB = 64;

const execArgv = ['--import', 'tsx'];
const here = (f: string) => new URL(f, import.meta.url).pathname;

interface Sample {
  memory: NodeJS.MemoryUsage;
  cpu: NodeJS.CpuUsage;
  stats: Record<string, number>;
}

interface Outcome {
  label: string;
  variant: 'relay' | 'bare';
  viewers: number;
  stalled: number;
  result: RunResult;
  cpuPct: number;
  rssStartMb: number;
  rssEndMb: number;
  rssPeakMb: number;
  heapStartMb: number;
  heapEndMb: number;
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

async function scenario(variant: 'relay' | 'bare', viewers: number, stalled: number, measureMs: number): Promise<Outcome> {
  // BENCH_SERVER_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the server.
  const serverArgv = [...execArgv, ...(process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean)];
  const server = fork(here('./server.ts'), [variant], { execArgv: serverArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await once(server, 'message')) as [{ port: number; watchPath: string; publishPath: string }];
  // No forced GC: a full collection in the server would stall every viewer at once and show up in
  // the p99 it is measuring. RSS is what the target is about.
  const sample = async (): Promise<Sample> => {
    server.send({ type: 'sample' });
    for (;;) {
      const [msg] = (await once(server, 'message')) as [{ type: string } & Sample];
      if (msg.type === 'sample') return msg;
    }
  };
  const load: ChildProcess = fork(here('./viewers.ts'), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
  };
  load.send({ type: 'run', params });

  let start: Sample | null = null;
  let end: Sample | null = null;
  let startedAt = 0;
  let endedAt = 0;
  let rssPeak = 0;
  let kernelPeak = 0;
  let sampler: NodeJS.Timeout | null = null;
  const result = await new Promise<RunResult>((resolve, reject) => {
    load.on('message', (msg: { type: string; phase?: string; message?: string }) => {
      if (msg.type === 'phase' && msg.phase === 'measure-start') {
        startedAt = performance.now();
        void sample().then((s) => {
          start = s;
          rssPeak = s.memory.rss;
        });
        sampler = setInterval(() => {
          kernelPeak = Math.max(kernelPeak, kernelTcpMb());
          void sample().then((s) => (rssPeak = Math.max(rssPeak, s.memory.rss)));
        }, 1000);
      } else if (msg.type === 'phase' && msg.phase === 'measure-end') {
        endedAt = performance.now();
        if (sampler) clearInterval(sampler);
        void sample().then((s) => (end = s));
      } else if (msg.type === 'result') {
        resolve(msg as unknown as RunResult);
      } else if (msg.type === 'error') {
        reject(new Error(msg.message));
      }
    });
    load.once('exit', (code) => code !== 0 && reject(new Error(`viewers process exited with ${code}`)));
  });
  // Let the last samples land before closing.
  const until = Date.now() + 5000;
  while ((start === null || end === null) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  if (start === null || end === null) throw new Error('no memory samples from the server');
  const s = start as Sample;
  const e = end as Sample;
  const cpuUs = e.cpu.user + e.cpu.system - (s.cpu.user + s.cpu.system);
  server.send({ type: 'close' });
  await once(server, 'exit');
  return {
    label: `${variant} ${viewers} viewers${stalled ? ` (${stalled} stalled)` : ''}`,
    variant,
    viewers,
    stalled,
    result,
    cpuPct: (100 * cpuUs) / 1000 / (endedAt - startedAt),
    rssStartMb: mb(s.memory.rss),
    rssEndMb: mb(e.memory.rss),
    rssPeakMb: mb(Math.max(rssPeak, e.memory.rss)),
    heapStartMb: mb(s.memory.heapUsed + s.memory.external),
    heapEndMb: mb(e.memory.heapUsed + e.memory.external),
    serverStats: e.stats,
    kernelTcpPeakMb: kernelPeak,
  };
}

function show(o: Outcome): void {
  const r = o.result;
  const st = o.serverStats;
  const relayNote = o.variant === 'relay' ? `, behind backlog/lag ${st.viewersBehindBacklog}/${st.viewersBehindLag}, skipped ${st.framesSkipped}, closed ${st.slowViewersClosed}` : '';
  console.log(
    `${o.label.padEnd(34)} delivered ${(r.delivered / r.expected).toFixed(4)} (${r.delivered}/${r.expected}), ` +
      `loss ${r.missingFrames} frames in ${r.viewersWithLoss} viewers, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ` +
      `max ${r.maxMs.toFixed(0)} ms, CPU server ${o.cpuPct.toFixed(0)} % viewers ${r.loadCpuPct.toFixed(0)} %, kernel TCP peak ${o.kernelTcpPeakMb.toFixed(0)} MB, RSS ${o.rssStartMb.toFixed(0)} -> ${o.rssEndMb.toFixed(0)} MB (peak ${o.rssPeakMb.toFixed(0)}), connect ${r.connectMs} ms${relayNote}`,
  );
  if (process.env.BENCH_TIMELINE === '1') console.log(`  worst latency per second of the window (ms): ${r.maxMsBySecond.join(' ')}`);
}

const outcomes: Outcome[] = [];
const checks: Array<[string, boolean]> = [];
console.log(`fanout: ${FPS} fps x ${FRAME_BYTES / 1024} KB, warm-up ${WARMUP_MS} ms, window ${MEASURE_MS} ms, stall window ${STALL_MEASURE_MS} ms`);
for (const viewers of VIEWER_COUNTS) {
  const bare = await scenario('bare', viewers, 0, MEASURE_MS);
  show(bare);
  const relay = await scenario('relay', viewers, 0, MEASURE_MS);
  show(relay);
  outcomes.push(bare, relay);
  const deliveredRatio = relay.result.delivered / relay.result.expected / (bare.result.delivered / bare.result.expected);
  const p99Ratio = relay.result.p99Ms / bare.result.p99Ms;
  console.log(`  ${viewers} viewers: delivered ratio relay/bare ${deliveredRatio.toFixed(3)}, p99 ratio ${p99Ratio.toFixed(2)}, relay loss ${relay.result.missingFrames}`);
  checks.push([`${viewers} viewers delivered ratio ${deliveredRatio.toFixed(3)} >= ${TARGET_DELIVERED_RATIO}`, deliveredRatio >= TARGET_DELIVERED_RATIO]);
  checks.push([`${viewers} viewers p99 ratio ${p99Ratio.toFixed(2)} <= ${TARGET_P99_RATIO}`, p99Ratio <= TARGET_P99_RATIO]);
  checks.push([`${viewers} viewers relay loss ${relay.result.missingFrames} = 0`, relay.result.missingFrames === 0]);
}

const stalled = Math.round(STALL_VIEWERS * STALLED_FRACTION);
const bareClean = outcomes.find((o) => o.variant === 'bare' && o.viewers === STALL_VIEWERS) ?? (await scenario('bare', STALL_VIEWERS, 0, MEASURE_MS));
// The bare loop with the same stalled viewers: what the relay's policy is protecting against.
const bareStall = await scenario('bare', STALL_VIEWERS, stalled, STALL_MEASURE_MS);
show(bareStall);
const relayStall = await scenario('relay', STALL_VIEWERS, stalled, STALL_MEASURE_MS);
show(relayStall);
const healthyP99Ratio = relayStall.result.p99Ms / bareClean.result.p99Ms;
const growth = relayStall.rssEndMb - relayStall.rssStartMb;
const peakGrowth = relayStall.rssPeakMb - relayStall.rssStartMb;
const st = relayStall.serverStats;
console.log(
  `  stalled: healthy p99 ratio vs bare without stalls ${healthyP99Ratio.toFixed(2)}, vs bare with the same stalls ` +
    `${(relayStall.result.p99Ms / bareStall.result.p99Ms).toFixed(2)}; healthy loss ${relayStall.result.missingFrames}; ` +
    `relay RSS growth ${growth.toFixed(1)} MB (peak +${peakGrowth.toFixed(1)} MB), bare +${(bareStall.rssPeakMb - bareStall.rssStartMb).toFixed(1)} MB over ${STALL_MEASURE_MS / 1000} s; ` +
    `viewers behind (backlog/lag) ${st.viewersBehindBacklog}/${st.viewersBehindLag}, slow viewers closed ${st.slowViewersClosed}, frames skipped ${st.framesSkipped}`,
);
checks.push([`stalled: healthy p99 ratio ${healthyP99Ratio.toFixed(2)} <= ${TARGET_P99_RATIO}`, healthyP99Ratio <= TARGET_P99_RATIO]);
checks.push([`stalled: healthy loss ${relayStall.result.missingFrames} = 0`, relayStall.result.missingFrames === 0]);
checks.push([`stalled: server RSS peak growth ${peakGrowth.toFixed(1)} MB <= ${TARGET_MEMORY_GROWTH_MB} MB`, peakGrowth <= TARGET_MEMORY_GROWTH_MB]);

for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
