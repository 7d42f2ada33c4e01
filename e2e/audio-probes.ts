/**
 * Probes for the sound tests, run inside the page (serialised by Playwright, so each function is
 * self-contained). They watch the real client from outside: what reaches the AudioContext's
 * destination (the speakers) and what is drawn on the watch canvas, each with its performance time.
 */
import type { Page } from '@playwright/test';

/**
 * The AudioWorklet that listens at the destination: per render quantum the RMS, and the exact frame
 * (sample) at which a beep starts: the first sample over ONSET_LEVEL after QUIET_S of quiet.
 */
export const PROBE_MODULE = `
const ONSET_LEVEL = 0.05;
const QUIET_S = 0.3;
const QUANTUM = 128;
class SoundProbe extends AudioWorkletProcessor {
  constructor() {
    super();
    this.quietSince = 0;
    this.loud = false;
    this.sumSq = 0;
    this.n = 0;
    this.windowStart = -1;
  }
  process(inputs) {
    const input = inputs[0];
    const ch = input && input[0];
    if (this.windowStart < 0) this.windowStart = currentFrame;
    // No input channel: nothing is playing into the speakers, which is silence heard.
    const len = ch ? ch.length : QUANTUM;
    if (ch) {
      for (let i = 0; i < ch.length; i++) {
        const v = Math.abs(ch[i]);
        this.sumSq += ch[i] * ch[i];
        const frame = currentFrame + i;
        if (v > ONSET_LEVEL) {
          if (!this.loud && frame - this.quietSince >= QUIET_S * sampleRate) {
            this.port.postMessage({ type: 'onset', time: frame / sampleRate });
          }
          this.loud = true;
          this.quietSince = frame;
        } else if (this.loud && frame - this.quietSince > 0.02 * sampleRate) {
          this.loud = false;
        }
      }
    }
    this.n += len;
    if (this.n >= 0.05 * sampleRate) {
      const endS = (currentFrame + len) / sampleRate;
      this.port.postMessage({
        type: 'level',
        rms: Math.sqrt(this.sumSq / this.n),
        startS: this.windowStart / sampleRate,
        endS,
      });
      this.sumSq = 0;
      this.n = 0;
      this.windowStart = currentFrame + len;
    }
    return true;
  }
}
registerProcessor('e2e-sound-probe', SoundProbe);
`;

/**
 * Context options for a page with the probe: it loads its worklet from a blob: URL, which the app's
 * CSP (script-src 'self') refuses, and Playwright cannot answer a worklet's request itself; the app
 * does not depend on its CSP to work.
 */
export const SOUND_PROBE_CONTEXT = { bypassCSP: true } as const;

/** The newest AudioContext of a page (as in SoundRecord's levels) and its current time. */
export interface SoundNow {
  context: number;
  nowS: number;
  state: AudioContextState;
}

export interface SoundRecord {
  /** Performance time (ms) at which each beep onset reached the speakers. */
  beeps: number[];
  /**
   * RMS at the destination, one per 50 ms of sound: the performance time the page heard of it, the
   * AudioContext it came from (an index in creation order) and the context time it spans.
   */
  levels: Array<{ atMs: number; rms: number; context: number; startS: number; endS: number }>;
  /** Performance time (ms) at which each flash was drawn on the watch canvas, with the frame's timestamp. */
  flashes: Array<{ atMs: number; timestampUs: number }>;
  /** When the first picture was drawn on the watch canvas (performance time, ms). */
  firstPaintMs: number | null;
  /** Pictures drawn on the watch canvas so far. */
  paints: number;
  /** When each buffer of sound the page scheduled starts playing at the speakers (performance time, ms). */
  soundStarts: number[];
}

/**
 * Init script: taps every connection to an AudioContext's destination with the probe worklet, maps
 * its onsets to performance time with the context's own output timestamp, and watches the watch
 * canvas (data-testid="video") for the test pattern's flash box turning white.
 */
export function installSoundProbe(arg: { module: string; flashX: number; flashY: number }): void {
  const w = window as unknown as Record<string, unknown>;
  const record: SoundRecord = { beeps: [], levels: [], flashes: [], firstPaintMs: null, paints: 0, soundStarts: [] };
  w.__e2eSound = record;
  const contexts: AudioContext[] = [];
  w.__e2eSoundNow = (): SoundNow | null => {
    const ctx = contexts.at(-1);
    return ctx === undefined ? null : { context: contexts.length - 1, nowS: ctx.currentTime, state: ctx.state };
  };
  const probes = new WeakMap<BaseAudioContext, Promise<AudioWorkletNode | null>>();
  const moduleUrl = URL.createObjectURL(new Blob([arg.module], { type: 'text/javascript' }));
  const toPerfMs = (ctx: AudioContext, ctxTime: number) => {
    const stamp = ctx.getOutputTimestamp();
    if (stamp.contextTime === undefined || stamp.performanceTime === undefined || stamp.performanceTime <= 0) {
      return performance.now() + (ctxTime - ctx.currentTime) * 1000;
    }
    return stamp.performanceTime + (ctxTime - stamp.contextTime) * 1000;
  };
  const probeFor = (ctx: AudioContext) => {
    let probe = probes.get(ctx);
    if (probe === undefined) {
      const index = contexts.push(ctx) - 1;
      probe = ctx.audioWorklet
        .addModule(moduleUrl)
        .then(() => {
          const node = new AudioWorkletNode(ctx, 'e2e-sound-probe');
          // Pulled by the graph only when it leads to the destination: through a silent gain.
          const sink = ctx.createGain();
          sink.gain.value = 0;
          connect.call(node, sink);
          connect.call(sink, ctx.destination);
          node.port.onmessage = (
            e: MessageEvent<{ type: string; time?: number; rms?: number; startS?: number; endS?: number }>,
          ) => {
            const m = e.data;
            if (m.type === 'onset') record.beeps.push(toPerfMs(ctx, m.time!));
            else
              record.levels.push({
                atMs: performance.now(),
                rms: m.rms!,
                context: index,
                startS: m.startS!,
                endS: m.endS!,
              });
          };
          return node;
        })
        .catch(() => null);
      probes.set(ctx, probe);
    }
    return probe;
  };
  const connect = AudioNode.prototype.connect as (this: AudioNode, ...args: unknown[]) => unknown;
  AudioNode.prototype.connect = function (this: AudioNode, ...args: unknown[]) {
    const result = connect.apply(this, args);
    const target = args[0];
    if (target instanceof AudioDestinationNode && this.context instanceof AudioContext) {
      void probeFor(this.context).then((probe) => {
        if (probe !== null) connect.call(this, probe);
      });
    }
    return result;
  } as typeof AudioNode.prototype.connect;

  const start = AudioBufferSourceNode.prototype.start;
  AudioBufferSourceNode.prototype.start = function (this: AudioBufferSourceNode, when?: number, ...rest: number[]) {
    if (this.context instanceof AudioContext) record.soundStarts.push(toPerfMs(this.context, when ?? 0));
    return start.call(this, when, ...rest);
  } as typeof AudioBufferSourceNode.prototype.start;

  const drawImage = CanvasRenderingContext2D.prototype.drawImage as (
    this: CanvasRenderingContext2D,
    ...a: unknown[]
  ) => void;
  let lit = false;
  CanvasRenderingContext2D.prototype.drawImage = function (this: CanvasRenderingContext2D, ...a: unknown[]) {
    drawImage.apply(this, a);
    const image = a[0];
    if (this.canvas.getAttribute('data-testid') !== 'video' || !(image instanceof VideoFrame)) return;
    record.firstPaintMs ??= performance.now();
    record.paints++;
    const x = Math.floor(arg.flashX * this.canvas.width);
    const y = Math.floor(arg.flashY * this.canvas.height);
    const [r, g, b] = this.getImageData(x, y, 1, 1).data;
    const bright = (r! + g! + b!) / 3 > 160;
    if (bright && !lit) record.flashes.push({ atMs: performance.now(), timestampUs: image.timestamp });
    lit = bright;
  } as typeof CanvasRenderingContext2D.prototype.drawImage;
}

export async function soundRecord(page: Page): Promise<SoundRecord> {
  return page.evaluate(() => (window as unknown as { __e2eSound: SoundRecord }).__e2eSound);
}

/** Just the beeps and flashes (small, so polling it costs the page little). */
export async function syncRecord(page: Page): Promise<Pick<SoundRecord, 'beeps' | 'flashes'>> {
  return page.evaluate(() => {
    const { beeps, flashes } = (window as unknown as { __e2eSound: SoundRecord }).__e2eSound;
    return { beeps, flashes };
  });
}

/** The page's newest AudioContext and its time now; null before the page made one. */
export async function soundNow(page: Page): Promise<SoundNow | null> {
  return page.evaluate(() => (window as unknown as { __e2eSoundNow: () => SoundNow | null }).__e2eSoundNow());
}

export type Level = SoundRecord['levels'][number];

/** The levels of one AudioContext from context time `fromS` on (what a poll needs, no more). */
export async function levelsFrom(page: Page, context: number, fromS: number): Promise<Level[]> {
  return page.evaluate(
    ([c, from]) =>
      (window as unknown as { __e2eSound: SoundRecord }).__e2eSound.levels.filter(
        (l) => l.context === c && l.startS >= from,
      ),
    [context, fromS] as const,
  );
}

/** The loudest of the levels that start within [fromS, toS) of their context's time (0 for none). */
export function loudestWithin(levels: readonly Level[], fromS: number, toS: number): number {
  return levels.filter((l) => l.startS >= fromS && l.startS < toS).reduce((m, l) => Math.max(m, l.rms), 0);
}

/** The loudest RMS heard at the destination since `sinceMs` (performance time). */
export function loudestSince(record: SoundRecord, sinceMs: number): number {
  return record.levels.filter((l) => l.atMs >= sinceMs).reduce((m, l) => Math.max(m, l.rms), 0);
}

/**
 * For each flash painted, the beep heard nearest to it (within `windowMs`): beep minus flash in ms,
 * positive when the sound comes after the picture; null for a flash without a beep.
 */
export function avPairs(record: Pick<SoundRecord, 'beeps' | 'flashes'>, windowMs = 400): Array<number | null> {
  return record.flashes.map((flash) => {
    let best: number | null = null;
    for (const beep of record.beeps) {
      const d = beep - flash.atMs;
      if (Math.abs(d) <= windowMs && (best === null || Math.abs(d) < Math.abs(best))) best = d;
    }
    return best;
  });
}

/** The p-th percentile (0-100) of the values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
