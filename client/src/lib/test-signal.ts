/**
 * The test pattern's sync signal: once a second a visible flash on the picture and a short 1 kHz beep,
 * the beep starting at exactly the capture time of the flash's first frame, so A/V sync can be seen,
 * heard and measured (the e2e suite measures it at a viewer). Pure: the capture loop drives it.
 */

export const TONE_SAMPLE_RATE_HZ = 48_000;
export const BEEP_FREQUENCY_HZ = 1_000;
export const BEEP_DURATION_MS = 100;
export const BEEP_AMPLITUDE = 0.5;
/** Fade in and out over this long, so the beep does not click (its onset still lands on one sample). */
export const BEEP_RAMP_MS = 1;
/** The flash stays on the picture this long (3 frames at 30 fps). */
export const FLASH_DURATION_MS = 100;
export const BEAT_INTERVAL_US = 1_000_000;

/** Where the flash is drawn, as fractions of the picture (a white square in the dark lower-left band). */
export const FLASH_BOX = { x: 0.02, y: 0.66, width: 0.15, height: 0.27 } as const;

/**
 * Decides which video frames show the flash: the first frame captured at or after each whole second
 * starts one (its timestamp is when the beep starts), and it lasts FLASH_DURATION_MS.
 */
export class BeatClock {
  private nextBeatUs: number | null = null;
  private flashStartUs: number | null = null;

  /**
   * Called for each captured frame, timestamps rising. Returns whether the frame shows the flash and,
   * for the first frame of a flash, `beepAtUs`: its own timestamp.
   */
  frame(timestampUs: number): { flash: boolean; beepAtUs: number | null } {
    let beepAtUs: number | null = null;
    if (this.nextBeatUs === null) this.nextBeatUs = Math.ceil(timestampUs / BEAT_INTERVAL_US) * BEAT_INTERVAL_US;
    if (timestampUs >= this.nextBeatUs) {
      this.flashStartUs = timestampUs;
      beepAtUs = timestampUs;
      this.nextBeatUs = (Math.floor(timestampUs / BEAT_INTERVAL_US) + 1) * BEAT_INTERVAL_US;
    }
    const flash = this.flashStartUs !== null && timestampUs - this.flashStartUs < FLASH_DURATION_MS * 1000;
    return { flash, beepAtUs };
  }
}

const BEEP_SAMPLES = Math.round((BEEP_DURATION_MS * TONE_SAMPLE_RATE_HZ) / 1000);
const RAMP_SAMPLES = Math.round((BEEP_RAMP_MS * TONE_SAMPLE_RATE_HZ) / 1000);

/** The beep's value `i` samples after its onset (0 outside the beep). */
export function beepSample(i: number): number {
  if (i < 0 || i >= BEEP_SAMPLES) return 0;
  const ramp = Math.min(1, (i + 1) / RAMP_SAMPLES, (BEEP_SAMPLES - i) / RAMP_SAMPLES);
  return BEEP_AMPLITUDE * ramp * Math.sin((2 * Math.PI * BEEP_FREQUENCY_HZ * i) / TONE_SAMPLE_RATE_HZ);
}

export interface ToneChunk {
  /** Microseconds, on the capture clock: the time of the chunk's first sample. */
  timestampUs: number;
  samples: Float32Array<ArrayBuffer>;
}

/**
 * Mono 48 kHz audio that is silent but for the beeps it is told about. Samples are counted from the
 * first call, so chunks follow each other exactly whatever the timer jitter: chunk timestamps are
 * `origin + n / 48 kHz`, and a beep starts on the sample nearest its time.
 */
export class ToneGenerator {
  private originUs: number | null = null;
  /** Samples written since the origin. */
  private written = 0;
  /** Onsets, in samples since the origin, of beeps not yet fully written. */
  private onsets: number[] = [];

  /** A beep starting at `atUs` (call before generating past that time). */
  beep(atUs: number): void {
    if (this.originUs === null) this.originUs = atUs;
    this.onsets.push(Math.round(((atUs - this.originUs) * TONE_SAMPLE_RATE_HZ) / 1e6));
  }

  /** The samples from the end of the previous chunk up to (not including) `untilUs`; null if none. */
  generate(untilUs: number): ToneChunk | null {
    if (this.originUs === null) this.originUs = untilUs;
    const end = Math.floor(((untilUs - this.originUs) * TONE_SAMPLE_RATE_HZ) / 1e6);
    if (end <= this.written) return null;
    const start = this.written;
    const samples = new Float32Array(end - start);
    for (const onset of this.onsets) {
      for (let n = Math.max(start, onset); n < Math.min(end, onset + BEEP_SAMPLES); n++) {
        samples[n - start] = beepSample(n - onset);
      }
    }
    this.onsets = this.onsets.filter((onset) => onset + BEEP_SAMPLES > end);
    this.written = end;
    return { timestampUs: this.originUs + Math.round((start * 1e6) / TONE_SAMPLE_RATE_HZ), samples };
  }
}
