/**
 * Audio/video sync on the watch page, as pure decisions (no DOM, no Web Audio): where each decoded
 * audio chunk is scheduled on the AudioContext's clock (a small jitter buffer), which decoded picture
 * is due when the audio clock says "now", and when audio must wait for the picture. The audio clock is
 * the master: the picture follows it, never the other way round.
 */

/** New audio starts this far ahead of the context's clock: room for the network's and decoder's jitter. */
export const JITTER_TARGET_S = 0.2;
/** A chunk that would start sooner than this is late (an underrun): the timeline is anchored again. */
export const MIN_LEAD_S = 0.01;
/** A chunk scheduled further ahead than this (a clock that drifted, a new timeline) is anchored again. */
export const MAX_AHEAD_S = 1.5;
/**
 * When the sound (re)starts, chunks this far behind the newest one received are skipped: a late
 * joiner's cached group of pictures brings up to a few seconds of sound at once, and playing it all
 * would keep the viewer that far behind live for good (and the picture with it). The sound starts near
 * the live edge instead. Once it runs, a burst is absorbed by the timeline (late chunks re-anchor it).
 */
export const MAX_BEHIND_LIVE_US = 500_000;

/** Media time `tsUs` plays at context time `ctxS`; every later chunk keeps the same relation. */
export interface Anchor {
  ctxS: number;
  tsUs: number;
}

/** A picture decoded up to this much after it was due is on time (paints land on display frames anyway). */
export const LATE_TOLERANCE_US = 10_000;
/** Lateness past this is not jitter (a catch-up, a publisher restart): it does not move the delay. */
export const LATE_CONSIDERED_US = 400_000;
/** The sound is delayed at most this much more than JITTER_TARGET_S for pictures that decode late. */
export const MAX_EXTRA_DELAY_S = 0.6;
/** Each step adds the lateness seen plus this. */
export const LATE_MARGIN_S = 0.03;

/**
 * The extra delay the sound needs when a picture was decoded `lateUs` after the sound reached it (a
 * slow decoder or publisher: the picture track arrives later than the sound). The sound then waits
 * for the slower track: the delay only grows, by the lateness plus a margin, up to MAX_EXTRA_DELAY_S.
 */
export function nextExtraDelayS(currentS: number, lateUs: number): number {
  if (lateUs <= LATE_TOLERANCE_US || lateUs > LATE_CONSIDERED_US) return currentS;
  return Math.min(MAX_EXTRA_DELAY_S, currentS + lateUs / 1e6 + LATE_MARGIN_S);
}

export type ChunkPlan =
  /**
   * 'anchored': a fresh timeline (first chunk, after an underrun, a skip or a jump): the audio has a
   * gap; 'continue': right after the previous chunk.
   */
  | { kind: 'continue' | 'anchored'; startS: number; anchor: Anchor }
  /** Too far behind live: not played; the next chunk played starts a fresh timeline. */
  | { kind: 'skip' };

/**
 * Where a decoded chunk with media timestamp `tsUs` goes on the context clock, `ctxNowS` being the
 * context's current time and `newestUs` the newest chunk received. Continuous audio keeps its anchor
 * (chunks follow each other sample for sample); a chunk that would be late or too far ahead starts a
 * new anchor `targetS` ahead (JITTER_TARGET_S, plus any extra delay); one far behind live is skipped
 * when the timeline starts.
 */
export function planChunk(
  anchor: Anchor | null,
  tsUs: number,
  ctxNowS: number,
  newestUs: number,
  targetS: number = JITTER_TARGET_S,
): ChunkPlan {
  if (anchor === null && newestUs - tsUs > MAX_BEHIND_LIVE_US) return { kind: 'skip' };
  if (anchor !== null) {
    const startS = anchor.ctxS + (tsUs - anchor.tsUs) / 1e6;
    if (startS >= ctxNowS + MIN_LEAD_S && startS <= ctxNowS + MAX_AHEAD_S) return { startS, anchor, kind: 'continue' };
  }
  const fresh = { ctxS: ctxNowS + targetS, tsUs };
  return { startS: fresh.ctxS, anchor: fresh, kind: 'anchored' };
}

/**
 * The encoder's look-ahead an Opus decoder drops (OpusHead pre-skip, RFC 7845 5.1), in µs; 0 without
 * a readable OpusHead (then nothing is dropped either).
 */
export function opusPreSkipUs(description: Uint8Array | undefined): number {
  if (description === undefined || description.length < 19) return 0;
  if (String.fromCharCode(...description.subarray(0, 8)) !== 'OpusHead') return 0;
  return Math.round(((description[10]! | (description[11]! << 8)) * 1e6) / 48_000);
}

/**
 * The media time of a decoded chunk, from the timestamp of the packet it came from. Chromium's
 * AudioDecoder labels its output by counting samples from the first packet, so after a gap in the
 * packets (a viewer skipped to a keyframe) its labels lag: the packet's own timestamp is used instead.
 * Each packet's sound starts `preSkipUs` before its timestamp (the encoder's look-ahead), except the
 * first after a configure, which the decoder trims by exactly that much.
 */
export function decodedTimestampUs(packetTsUs: number, firstAfterConfigure: boolean, preSkipUs: number): number {
  return firstAfterConfigure ? packetTsUs : packetTsUs - preSkipUs;
}

/** The media time being heard at context time `heardCtxS` (what the speakers play now). */
export function mediaTimeUs(anchor: Anchor, heardCtxS: number): number {
  return anchor.tsUs + (heardCtxS - anchor.ctxS) * 1e6;
}

/** Paint a picture this early (half a 60 Hz display frame): paints happen on display frames, up to 16.7 ms late. */
export const PAINT_LEAD_US = 8_000;
/** A queued picture this far ahead of the audio clock means the two timelines do not match: stop waiting. */
export const MAX_PICTURE_WAIT_US = 1_500_000;

export interface FramePick {
  /** Index of the picture to paint now, or -1 for none. */
  paint: number;
  /** How many pictures before it to close unpainted (they are late, or replaced). */
  drop: number;
}

/**
 * What the sound says about time: the media time heard now; 'wait' while sound is about to start (the
 * pictures wait for it, so the first one shown has its sound); null when there is no sound to follow
 * (none, muted and not allowed to run, or starved).
 */
export type ClockReading = number | 'wait' | null;

/**
 * Which of the decoded pictures (timestamps oldest first) to paint now. With an audio clock, the
 * newest one that is due; the older ones are dropped, later ones wait. Without one, the newest decoded
 * picture at once: the page paints as fast as it decodes. A picture far ahead of the audio clock is
 * painted too: waiting for a clock that is on another timeline would freeze the picture.
 */
export function pickFrame(timestampsUs: readonly number[], mediaNowUs: ClockReading): FramePick {
  const n = timestampsUs.length;
  if (n === 0 || mediaNowUs === 'wait') return { paint: -1, drop: 0 };
  if (mediaNowUs === null || timestampsUs[0]! - mediaNowUs > MAX_PICTURE_WAIT_US) return { paint: n - 1, drop: n - 1 };
  let due = -1;
  for (let i = 0; i < n && timestampsUs[i]! <= mediaNowUs + PAINT_LEAD_US; i++) due = i;
  return due === -1 ? { paint: -1, drop: 0 } : { paint: due, drop: due };
}

/**
 * The stall gate (see stall-gate.worklet.ts): the sound is silenced while a decoded picture is this
 * overdue, i.e. while the page's main thread has stopped painting (a busy or throttled tab). A healthy
 * page paints a picture at most one display frame (16.7 ms) minus PAINT_LEAD_US after it is due.
 */
export const STALL_LIMIT_US = 20_000;

/**
 * Whether the sound rendered at context time `ctxS` must be silenced: the media time it carries is past
 * the next unpainted picture (`nextPictureUs`, as the page last reported it) by more than STALL_LIMIT_US,
 * counting the output latency (what is rendered now is heard `latencyS` later, and the picture is judged
 * against what is heard). Never without a timeline or a waiting picture.
 */
export function gateShut(anchor: Anchor | null, ctxS: number, latencyS: number, nextPictureUs: number | null): boolean {
  if (anchor === null || nextPictureUs === null) return false;
  return mediaTimeUs(anchor, ctxS - latencyS) > nextPictureUs + STALL_LIMIT_US;
}

/** Audio may run ahead of the newest decoded picture by this much before it waits for the picture. */
export const AUDIO_AHEAD_OF_PICTURE_US = 300_000;
/** A picture that has not moved for this long is stalled (camera gone, decoder stuck): sound goes on alone. */
export const PICTURE_STALL_MS = 2_000;

export interface PictureState {
  /** The video decoder is playing (configured, past its keyframe, no error pending). */
  playing: boolean;
  /** Newest decoded picture's timestamp; null before the first. */
  newestUs: number | null;
  /** When (performance time, ms) that picture was decoded. */
  newestAtMs: number | null;
}

/**
 * Whether an audio chunk may be scheduled now, or must wait for the picture: sound never plays ahead
 * of a frozen picture. It waits only while the picture is expected to move: a video decoder that
 * failed, or a picture stalled for PICTURE_STALL_MS, no longer holds the sound back (one track's
 * trouble does not silence the other).
 */
export function audioMayPlay(chunkTsUs: number, picture: PictureState, nowMs: number): boolean {
  if (!picture.playing || picture.newestUs === null || picture.newestAtMs === null) return true;
  if (nowMs - picture.newestAtMs >= PICTURE_STALL_MS) return true;
  return chunkTsUs <= picture.newestUs + AUDIO_AHEAD_OF_PICTURE_US;
}
