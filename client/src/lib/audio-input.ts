/** Pure decisions of the go-live page's sound: which input to start with, capture timestamps, the level meter. */

/** Where the stream's sound comes from. */
export type AudioChoice = { kind: 'mic'; deviceId: string } | { kind: 'tone' } | { kind: 'none' };

/**
 * The input to start with: the microphone when the browser gave one; else, with the test pattern, the
 * test tone (a beep in step with the pattern's flash); else no sound (the page says so).
 */
export function initialAudio(micDeviceId: string | null, video: 'camera' | 'pattern'): AudioChoice {
  if (micDeviceId !== null) return { kind: 'mic', deviceId: micDeviceId };
  return video === 'pattern' ? { kind: 'tone' } : { kind: 'none' };
}

/** A chunk stamped this close behind the page's clock is taken to be on it (Chromium stamps capture so). */
export const SAME_CLOCK_WINDOW_US = 2_000_000;

/**
 * What to add to a captured chunk's timestamp to get wall-clock microseconds (what the video frames
 * carry), from the first chunk. Chromium stamps captured audio on the page's performance clock, whose
 * own timing is then kept exactly; any other clock is pinned to "captured just now" once, and its own
 * spacing kept from there.
 */
export function captureOffsetUs(firstTsUs: number, perfNowMs: number, timeOriginMs: number): number {
  const perfNowUs = perfNowMs * 1000;
  if (firstTsUs <= perfNowUs && perfNowUs - firstTsUs < SAME_CLOCK_WINDOW_US) return Math.round(timeOriginMs * 1000);
  return Math.round((timeOriginMs + perfNowMs) * 1000) - firstTsUs;
}

/**
 * Input this far from where the previous chunk ended is a new stretch of sound (a gap while the socket
 * was down or the source changed, or a capture clock that drifted from the page's): Chromium's
 * AudioEncoder stamps its output by counting samples from its first input, so it must start afresh.
 */
export const AUDIO_DISCONTINUITY_US = 20_000;

export function audioDiscontinuity(expectedUs: number | null, actualUs: number): boolean {
  return expectedUs !== null && Math.abs(actualUs - expectedUs) > AUDIO_DISCONTINUITY_US;
}

/** Root mean square of the samples (0 for silence, about 0.35 for a 0.5 sine). */
export function rmsLevel(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / samples.length);
}

/** The meter shows -60 dBFS (and below) to 0 dBFS as 0 to 100. */
export const METER_FLOOR_DB = -60;

export function meterPercent(rms: number): number {
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.round(Math.min(100, Math.max(0, ((db - METER_FLOOR_DB) / -METER_FLOOR_DB) * 100)));
}
