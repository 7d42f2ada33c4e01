import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { AUDIO_PACKETS_PER_MESSAGE } from '../../shared/audio-packets.ts';
import { FRAME_HEADER_BYTES } from '../../shared/protocol.ts';
import { taskTimes } from '../proc.ts';
import { type DisturbanceLimits, disturbed, type RoundFigures } from './rounds.ts';
import type { RunParams, RunResult } from './viewers.ts';

/**
 * One fan-out round: a fresh server and load generator, warm-up, a measured window, drain, both
 * processes gone. Besides what the viewers measured, it records what the kernel says about
 * interference: how long the server and the load generator were ready to run but waited for a core.
 */
export const FPS = 30;
export const FRAME_BYTES = 10 * 1024;
/**
 * BENCH_AUDIO=1: the publisher also sends what the go-live page sends: audio frames of
 * AUDIO_PACKETS_PER_MESSAGE (2) Opus-sized 60 ms packets (~360 bytes each at 48 kbit/s), about 8.3 a
 * second, to relay and bare loop alike, so a viewer gets about 38 messages a second in all.
 * BENCH_AUDIO_PACKETS=1 sends one packet a message instead (protocol 2's rate, ~47 messages a second).
 */
export const AUDIO = process.env.BENCH_AUDIO === '1';
export const AUDIO_PACKETS = Number(process.env.BENCH_AUDIO_PACKETS ?? AUDIO_PACKETS_PER_MESSAGE);
export const AUDIO_PACKET_MS = 60;
export const AUDIO_FPS = AUDIO ? 1000 / (AUDIO_PACKET_MS * AUDIO_PACKETS) : 0;
export const AUDIO_PACKET_BYTES = 360;
/** A whole audio message: header, packet count, and per packet its offset, length and bytes. */
export const AUDIO_FRAME_BYTES = FRAME_HEADER_BYTES + 1 + AUDIO_PACKETS * (6 + AUDIO_PACKET_BYTES);
/**
 * From the first frame to the window: the viewers' join storm must be over. The relay tells each of 1000
 * viewers the publisher is live, both configs and the viewer count as the stream starts (4000 text sends the
 * bare loop has not), and at about 90 % of a core it took 3-4 s to drain that (timeline: worst latency per
 * second 317-375, 218-275, 154-231, 68-75 ms), against the bare loop's 2.
 */
export const WARMUP_MS = 4000;
const DRAIN_MS = 1500;
/** Healthy viewers ack every 500 ms of media time, each at its own phase (see viewers.ts). */
const ACK_INTERVAL_MS = 500;
const SAMPLE_INTERVAL_MS = 1000;
/** A server that does not answer a sample this long is hopelessly behind: the round fails (see run.ts). */
const SAMPLE_TIMEOUT_MS = 30_000;

const execArgv = ['--import', 'tsx'];
/** How long a process asked to stop may take before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** Resolves once `child` has exited (at once if it already has); kills it if it takes too long. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  return once(child, 'exit').then(() => clearTimeout(timer));
}
const here = (f: string) => new URL(f, import.meta.url).pathname;

export interface Sample {
  atMs: number;
  memory: NodeJS.MemoryUsage;
  cpu: NodeJS.CpuUsage;
  stats: Record<string, number>;
}

export interface Outcome {
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
  /** The server's worst event-loop hold-up in each phase, ms: connecting the viewers, warm-up, the measured window. */
  loopDelayMs: { connect: number; warmup: number; window: number };
  /** Garbage collection in the window: total and longest pause, ms. */
  gcWindowMs: number;
  gcMaxMs: number;
  /** How long the server and the load generator were ready to run but waited for a core, % of the window. */
  serverWaitPct: number;
  loadWaitPct: number;
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

  /** With a phase, the server reports the phase that just ended and starts counting the next one. */
  sample(phase?: string): Promise<Sample> {
    const id = this.nextId++;
    const reply = new Promise<Sample>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`server sample ${id} not answered in ${SAMPLE_TIMEOUT_MS} ms`));
      }, SAMPLE_TIMEOUT_MS);
      this.pending.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.server.send({ type: 'sample', id, phase });
    });
    // Awaited later, all together: a timeout meanwhile must fail the round, not the process.
    reply.catch(() => {});
    return reply;
  }
}

/** One round: a fresh server and load generator, warm-up, a measured window, drain, both processes gone. */
export async function runRound(
  variant: 'relay' | 'bare',
  viewers: number,
  stalled: number,
  measureMs: number,
  limits: DisturbanceLimits,
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
    audioPackets: AUDIO_PACKETS,
    audioPacketMs: AUDIO_PACKET_MS,
    audioPacketBytes: AUDIO_PACKET_BYTES,
  };
  load.send({ type: 'run', params });

  let connected: Promise<Sample> | null = null;
  let start: Promise<Sample> | null = null;
  let end: Promise<Sample> | null = null;
  const during: Promise<Sample>[] = [];
  let kernelPeak = 0;
  const noTimes = { runNs: 0, waitNs: 0 };
  let timesAtStart = { server: noTimes, load: noTimes, atMs: 0 };
  let timesAtEnd = timesAtStart;
  const readTimes = () => ({
    server: taskTimes(server.pid!) ?? noTimes,
    load: taskTimes(load.pid!) ?? noTimes,
    atMs: performance.now(),
  });
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
          connected = probe.sample('connected');
        } else if (msg.type === 'phase' && msg.phase === 'measure-start') {
          start = probe.sample('measure-start');
          cpuAtStart = machineCpu();
          timesAtStart = readTimes();
          sampler = setInterval(() => {
            kernelPeak = Math.max(kernelPeak, kernelTcpMb());
            during.push(probe.sample());
          }, SAMPLE_INTERVAL_MS);
        } else if (msg.type === 'phase' && msg.phase === 'measure-end') {
          stopSampler();
          end = probe.sample('measure-end');
          cpuAtEnd = machineCpu();
          timesAtEnd = readTimes();
        } else if (msg.type === 'result') {
          resolve(msg as unknown as RunResult);
        } else if (msg.type === 'error') {
          reject(new Error(msg.message));
        }
      });
      load.once('exit', (code) => code !== 0 && reject(new Error(`viewers process exited with ${code}`)));
    });
  } catch (err) {
    server.kill();
    load.kill();
    await Promise.all([exited(server), exited(load)]);
    throw err;
  } finally {
    stopSampler();
  }
  let samples: Sample[];
  try {
    if (connected === null || start === null || end === null) throw new Error('the load generator skipped a phase');
    samples = await Promise.all([connected, start, end, ...during] as Promise<Sample>[]);
  } finally {
    if (server.connected) server.send({ type: 'close' });
    // Both processes gone (their sockets closed) before the next round starts.
    await Promise.all([exited(server), exited(load)]);
  }
  const [c, s, e, ...mid] = samples;
  const cpuUs = e!.cpu.user + e!.cpu.system - (s!.cpu.user + s!.cpu.system);
  const cpuPct = (100 * cpuUs) / 1000 / (e!.atMs - s!.atMs);
  const ticks = cpuAtEnd.total - cpuAtStart.total;
  const machinePct = ticks > 0 ? (100 * availableParallelism() * (cpuAtEnd.busy - cpuAtStart.busy)) / ticks : 0;
  const windowNs = (timesAtEnd.atMs - timesAtStart.atMs) * 1e6;
  const waitPct = (who: 'server' | 'load') =>
    windowNs > 0 ? (100 * (timesAtEnd[who].waitNs - timesAtStart[who].waitNs)) / windowNs : 0;
  const restPct = Math.max(0, machinePct - cpuPct - result.loadCpuPct);
  const serverWaitPct = waitPct('server');
  const loadWaitPct = waitPct('load');
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
      loopHoldUpMs: e!.stats.loopDelayMaxMs!,
      viewersSkipped: (e!.stats.viewersBehindBacklog ?? 0) + (e!.stats.viewersBehindLag ?? 0),
      viewersWithLoss: result.viewersWithLoss,
      disturbed: disturbed({ serverWaitPct, loadWaitPct, restPct }, limits),
    },
    load1,
    restPct,
    rssConnectedMb: mb(c!.memory.rss),
    rssStartMb: mb(s!.memory.rss),
    rssEndMb: mb(e!.memory.rss),
    rssPeakMb: mb(rssPeak),
    serverStats: e!.stats,
    kernelTcpPeakMb: kernelPeak,
    loopDelayMs: {
      connect: c!.stats.loopDelayMaxMs!,
      warmup: s!.stats.loopDelayMaxMs!,
      window: e!.stats.loopDelayMaxMs!,
    },
    gcWindowMs: e!.stats.gcMs!,
    gcMaxMs: e!.stats.gcMaxMs!,
    serverWaitPct,
    loadWaitPct,
  };
}
