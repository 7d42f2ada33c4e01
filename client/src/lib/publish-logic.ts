/** Pure decisions of the go-live page: keyframes, back-pressure, rates, and what a socket close means. */
import { CloseCode } from '../../../shared/protocol.ts';

/** Viewers join at a keyframe: force one at least this often (the protocol asks for <= 2 s). */
export const MAX_KEYFRAME_INTERVAL_MS = 2000;
/** Raw frames waiting in the encoder beyond this are skipped: the encoder is behind the camera. */
export const MAX_ENCODE_QUEUE_FRAMES = 2;
/** Bytes the socket may hold unsent before new frames are skipped (a slow uplink). */
export const MAX_SEND_BUFFER_BYTES = 1024 * 1024;

export interface KeyframeInput {
  nowMs: number;
  /** When the last keyframe was asked of the encoder; null before the first frame. */
  lastKeyframeMs: number | null;
  /** Time between captured frames. */
  frameIntervalMs: number;
  /** The server relayed a viewer's request, or the socket (re)connected. */
  requested: boolean;
  maxIntervalMs?: number;
}

/** True when this frame must be a keyframe: asked for, the first one, or waiting one more frame would break the interval. */
export function needsKeyframe(input: KeyframeInput): boolean {
  const max = input.maxIntervalMs ?? MAX_KEYFRAME_INTERVAL_MS;
  if (input.requested || input.lastKeyframeMs === null) return true;
  return input.nowMs + input.frameIntervalMs - input.lastKeyframeMs > max;
}

/** Skip a raw frame (never an encoded one) when the encoder or the uplink is behind. */
export function shouldSkipFrame(encodeQueueSize: number, bufferedAmountBytes: number): boolean {
  return encodeQueueSize > MAX_ENCODE_QUEUE_FRAMES || bufferedAmountBytes > MAX_SEND_BUFFER_BYTES;
}

/** Events per second and bits per second over a sliding window. */
export class RateMeter {
  private readonly samples: Array<{ atMs: number; bytes: number }> = [];

  constructor(private readonly windowMs = 2000) {}

  add(atMs: number, bytes: number): void {
    this.samples.push({ atMs, bytes });
    this.trim(atMs);
  }

  rates(nowMs: number): { perSecond: number; bitsPerSecond: number } {
    this.trim(nowMs);
    let bytes = 0;
    for (const s of this.samples) bytes += s.bytes;
    const seconds = this.windowMs / 1000;
    return { perSecond: this.samples.length / seconds, bitsPerSecond: (bytes * 8) / seconds };
  }

  private trim(nowMs: number): void {
    while (this.samples.length > 0 && this.samples[0]!.atMs <= nowMs - this.windowMs) this.samples.shift();
  }
}

export type PublishState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

/** Still publishing, or trying to: the page offers "Stop streaming" rather than "Go live again". */
export function isPublishing(state: PublishState): boolean {
  return state === 'live' || state === 'connecting' || state === 'reconnecting';
}

export type PublishCloseAction =
  /** The stream is over (ended on the server, or the grace period ran out). */
  | 'ended'
  /** Another connection with our token took over: stop here. */
  | 'replaced'
  /** The home Machine is shutting down: the stream goes with it. */
  | 'machine-gone'
  /** Frames too big for the server. */
  | 'too-big'
  /** The server speaks another protocol version: this page must be reloaded. */
  | 'outdated'
  /** A dropped connection: reconnect with the same token within the grace period. */
  | 'reconnect';

export function publishCloseAction(code: number): PublishCloseAction {
  switch (code) {
    case CloseCode.normal:
    case CloseCode.notFound:
      return 'ended';
    case CloseCode.replaced:
      return 'replaced';
    case CloseCode.goingAway:
      return 'machine-gone';
    case CloseCode.tooBig:
      return 'too-big';
    case CloseCode.protocolMismatch:
      return 'outdated';
    default:
      return 'reconnect';
  }
}

/** Wall-clock microseconds, so viewers can show the delay (frame timestamps must rise). */
export function wallClockUs(timeOriginMs: number, nowMs: number): number {
  return Math.round((timeOriginMs + nowMs) * 1000);
}

/** The link to share: absolute, with `?instance=` so it routes straight to the home Machine. */
export function shareUrl(origin: string, watchUrl: string): string {
  return new URL(watchUrl, origin).href;
}

/** Headers for later fetches to the Machine that created the stream (no replay hop on the way). */
export function homeHeaders(machineId: string | null): Record<string, string> {
  return machineId === null ? {} : { 'fly-force-instance-id': machineId };
}
