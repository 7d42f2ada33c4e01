/**
 * An AudioWorklet between the scheduled sound and the speakers: it silences the sound while the page
 * has stopped painting pictures that are due (its main thread is busy or throttled), so the sound never
 * plays ahead of a frozen picture by more than STALL_LIMIT_US plus a render quantum. The page posts its
 * timeline (anchor), the output latency and, every display frame, the next picture waiting to be painted;
 * a main thread that stalls stops posting, and the picture it last named falls overdue here.
 * Loaded with `audioWorklet.addModule` (Vite bundles it, with what it imports, as its own file).
 */
import { type Anchor, gateShut } from '../../lib/av-sync.ts';

// AudioWorkletGlobalScope, typed by hand (the DOM lib does not describe it).
declare const currentFrame: number;
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

export interface GateMessage {
  anchor?: Anchor | null;
  latencyS?: number;
  nextPictureUs?: number | null;
}

/** Fade over one render quantum (128 frames, under 3 ms) so opening and closing do not click. */
class StallGate extends AudioWorkletProcessor {
  private anchor: Anchor | null = null;
  private latencyS = 0;
  private nextPictureUs: number | null = null;
  private level = 1;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<GateMessage>) => {
      const m = e.data;
      if (m.anchor !== undefined) this.anchor = m.anchor;
      if (m.latencyS !== undefined) this.latencyS = m.latencyS;
      if (m.nextPictureUs !== undefined) this.nextPictureUs = m.nextPictureUs;
    };
  }

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const input = inputs[0] ?? [];
    const output = outputs[0] ?? [];
    const target = gateShut(this.anchor, currentFrame / sampleRate, this.latencyS, this.nextPictureUs) ? 0 : 1;
    for (let c = 0; c < output.length; c++) {
      const out = output[c]!;
      const inp = input[c] ?? input[0];
      if (inp === undefined) {
        out.fill(0);
        continue;
      }
      const n = out.length;
      for (let i = 0; i < n; i++) out[i] = inp[i]! * (this.level + ((target - this.level) * (i + 1)) / n);
    }
    this.level = target;
    return true;
  }
}

registerProcessor('replaycast-stall-gate', StallGate);
