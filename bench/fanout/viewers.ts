import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { encodeAudioFrame } from '../../shared/audio-packets.ts';
import { encodeControl, encodeFrame } from '../../shared/protocol.ts';
import { RawViewer } from './raw-viewer.ts';

/**
 * The load generator, in its own process: N raw viewers (some of which stop reading) and one publisher
 * sending `fps` frames of `frameBytes` (and, in the audio mode, `audioFps` audio frames of
 * `audioFrameBytes` besides) whose timestamp is the send time in wall-clock microseconds, so each
 * viewer measures latency on the same clock. Reports phases and results to run.ts over IPC.
 */
export interface RunParams {
  port: number;
  watchPath: string;
  publishPath: string;
  viewers: number;
  stalled: number;
  fps: number;
  frameBytes: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  ackIntervalMs: number;
  /** Audio frames a second (0: video only), the packets each carries, their duration and size. */
  audioFps: number;
  audioPackets: number;
  audioPacketMs: number;
  audioPacketBytes: number;
}

export interface RunResult {
  type: 'result';
  sentInWindow: number;
  healthy: number;
  delivered: number;
  expected: number;
  viewersWithLoss: number;
  missingFrames: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  stalledClosed: number;
  connectMs: number;
  /** CPU of this load-generator process during the window, % of one core. */
  loadCpuPct: number;
  /** Worst latency of the frames sent in each second since the first frame, warm-up included. */
  maxMsBySecond: number[];
  /** Index in maxMsBySecond of the window's first second. */
  windowStartSecond: number;
  /** Worst hold-up of this process's event loop over the round, and the longest pause between two published frames. */
  loadLoopDelayMaxMs: number;
  publishGapMaxMs: number;
}

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const CONNECT_BATCH = 100;

async function run(p: RunParams): Promise<RunResult> {
  const histogram = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
  let windowStartUs = Infinity;
  let windowEndUs = Infinity;
  let firstFrameUs = Infinity;
  const received = new Uint32Array(p.viewers);
  const sockets: RawViewer[] = [];
  /** Worst latency of frames sent in each second since the first frame: shows when a spike happened. */
  const secondMaxUs: number[] = [];
  const connectStarted = Date.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let publishGapMaxMs = 0;
  let lastPublishAt = 0;

  // Healthy viewers ack what they got (the relay uses it to measure lag; the bare server ignores it)
  // as the protocol asks: from the message path, every ackIntervalMs of media time. Each starts at
  // its own phase, as real viewers (who joined at different moments) do, so the acks of 2000 viewers
  // reach the server spread over the interval rather than in one burst a timer would make.
  const healthy = p.viewers - p.stalled;
  const ackIntervalUs = p.ackIntervalMs * 1000;
  const nextAckUs = new Float64Array(p.viewers);
  const GOLDEN = 0.6180339887;

  const open = async (i: number) => {
    const stall = i >= healthy;
    const viewer = await RawViewer.connect(p.port, p.watchPath, (timestampUs) => {
      if (!stall) {
        if (nextAckUs[i] === 0) {
          nextAckUs[i] = timestampUs + ((i * GOLDEN) % 1) * ackIntervalUs;
        } else if (timestampUs >= nextAckUs[i]!) {
          sockets[i]?.sendText(encodeControl({ type: 'ack', timestampUs }));
          nextAckUs[i] = timestampUs + ackIntervalUs;
        }
      }
      const latencyUs = Math.max(1, nowUs() - timestampUs);
      const second = Math.floor((timestampUs - firstFrameUs) / 1_000_000);
      if (second >= 0 && latencyUs > (secondMaxUs[second] ?? 0)) secondMaxUs[second] = latencyUs;
      if (timestampUs >= windowStartUs && timestampUs <= windowEndUs) {
        received[i]!++;
        histogram.record(latencyUs);
      }
    });
    // A stalled viewer stops reading: its TCP window fills and the server must cope.
    if (stall) viewer.pause();
    sockets[i] = viewer;
  };
  for (let i = 0; i < p.viewers; i += CONNECT_BATCH) {
    await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, p.viewers - i) }, (_, k) => open(i + k)));
  }
  const connectMs = Date.now() - connectStarted;
  process.send!({ type: 'phase', phase: 'connected' });

  const publisher = new WebSocket(`ws://127.0.0.1:${p.port}${p.publishPath}`);
  publisher.on('error', (err) => {
    throw err;
  });
  await new Promise<void>((resolve) => publisher.once('open', () => resolve()));
  publisher.send(encodeControl({ type: 'config', config: { codec: 'vp8', codedWidth: 320, codedHeight: 180 } }));
  if (p.audioFps > 0) {
    publisher.send(
      encodeControl({ type: 'audio-config', config: { codec: 'opus', sampleRate: 48_000, numberOfChannels: 1 } }),
    );
  }

  const payload = new Uint8Array(p.frameBytes - 10).fill(7);
  const frameMs = 1000 / p.fps;
  const started = performance.now();
  let n = 0;
  let sentInWindow = 0;
  let cpuAtStart = process.cpuUsage();
  let loadCpuPct = 0;
  const totalMs = p.warmupMs + p.measureMs;
  // Audio frames on their own clock, interleaved with the pictures as a real publisher's are.
  const audioPackets = Array.from({ length: p.audioPackets }, (_, i) => ({
    offsetUs: i * p.audioPacketMs * 1000,
    data: new Uint8Array(p.audioPacketBytes).fill(3),
  }));
  let audioN = 0;
  const audioTick = () => {
    if (performance.now() - started >= totalMs || windowEndUs !== Infinity) return;
    const ts = nowUs();
    // Stamped with the send time like the pictures, so its latency measures the relay alone.
    publisher.send(encodeAudioFrame(ts, audioPackets));
    if (ts >= windowStartUs) sentInWindow++;
    audioN++;
    setTimeout(audioTick, Math.max(0, started + (audioN * 1000) / p.audioFps - performance.now()));
  };
  // The first audio frame follows the first picture: a relay keeps sound from its first keyframe on.
  if (p.audioFps > 0) setTimeout(audioTick, 1000 / p.audioFps);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - started;
      if (elapsed >= totalMs) {
        windowEndUs = nowUs() - 1;
        const used = process.cpuUsage(cpuAtStart);
        loadCpuPct = (100 * (used.user + used.system)) / (windowEndUs - windowStartUs);
        process.send!({ type: 'phase', phase: 'measure-end' });
        resolve();
        return;
      }
      if (windowStartUs === Infinity && elapsed >= p.warmupMs) {
        windowStartUs = nowUs();
        cpuAtStart = process.cpuUsage();
        process.send!({ type: 'phase', phase: 'measure-start' });
      }
      const ts = nowUs();
      if (n === 0) firstFrameUs = ts;
      const at = performance.now();
      if (n > 0) publishGapMaxMs = Math.max(publishGapMaxMs, at - lastPublishAt);
      lastPublishAt = at;
      publisher.send(encodeFrame({ keyframe: n % p.fps === 0, timestampUs: ts, payload }));
      if (ts >= windowStartUs) sentInWindow++;
      n++;
      setTimeout(tick, Math.max(0, started + n * frameMs - performance.now()));
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, p.drainMs));

  let delivered = 0;
  let viewersWithLoss = 0;
  let missingFrames = 0;
  for (let i = 0; i < healthy; i++) {
    delivered += received[i]!;
    if (received[i]! < sentInWindow) {
      viewersWithLoss++;
      missingFrames += sentInWindow - received[i]!;
    }
  }
  const result: RunResult = {
    type: 'result',
    sentInWindow,
    healthy,
    delivered,
    expected: sentInWindow * healthy,
    viewersWithLoss,
    missingFrames,
    p50Ms: histogram.percentile(50) / 1000,
    p99Ms: histogram.percentile(99) / 1000,
    maxMs: histogram.max / 1000,
    stalledClosed: sockets.slice(healthy).filter((s) => s.closed).length,
    connectMs,
    loadCpuPct,
    maxMsBySecond: Array.from(secondMaxUs, (us) => Math.round((us ?? 0) / 1000)),
    windowStartSecond: Math.floor((windowStartUs - firstFrameUs) / 1_000_000),
    loadLoopDelayMaxMs: loopDelay.max / 1e6,
    publishGapMaxMs,
  };
  publisher.terminate();
  for (const s of sockets) s.destroy();
  return result;
}

process.on('message', (msg: { type: string; params: RunParams }) => {
  if (msg.type !== 'run') return;
  run(msg.params).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      process.send!({ type: 'error', message: String(err) }, () => process.exit(1));
    },
  );
});
