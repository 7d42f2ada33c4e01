/**
 * The slow-viewer rule, as a pure function (see README "Slow viewers"): a viewer over its backlog
 * limit is skipped, and resumes only at a keyframe so its decoder never sees a frame without its
 * reference; a viewer behind continuously for slowViewerCloseMs is closed.
 */
export interface FlowLimits {
  viewerMaxBacklogBytes: number;
  viewerMaxLagMs: number;
  slowViewerCloseMs: number;
}

export interface FlowState {
  /** Skipping until the next keyframe (also true for a new viewer that got no cached keyframe). */
  skipping: boolean;
  /** When the viewer went over a limit; null while it is within them. */
  behindSinceMs: number | null;
}

export interface FrameOffer {
  keyframe: boolean;
  nowMs: number;
  /** ws.bufferedAmount: bytes queued in user space for this viewer. */
  bufferedBytes: number;
  /** Last frame timestamp sent to this viewer minus the last one it acked, in ms; null before any ack. */
  lagMs: number | null;
}

export type FlowAction = 'send' | 'skip' | 'close';
export type FlowReason = 'backlog' | 'lag' | 'await-keyframe' | 'ok';

export interface FlowDecision {
  action: FlowAction;
  reason: FlowReason;
  state: FlowState;
}

export const initialFlowState = (haveKeyframe: boolean): FlowState => ({
  skipping: !haveKeyframe,
  behindSinceMs: null,
});

export function decideFrame(state: FlowState, offer: FrameOffer, limits: FlowLimits): FlowDecision {
  const overBacklog = offer.bufferedBytes > limits.viewerMaxBacklogBytes;
  const overLag = offer.lagMs !== null && offer.lagMs > limits.viewerMaxLagMs;
  if (overBacklog || overLag) {
    const behindSinceMs = state.behindSinceMs ?? offer.nowMs;
    const reason: FlowReason = overBacklog ? 'backlog' : 'lag';
    if (offer.nowMs - behindSinceMs >= limits.slowViewerCloseMs) {
      return { action: 'close', reason, state: { skipping: true, behindSinceMs } };
    }
    return { action: 'skip', reason, state: { skipping: true, behindSinceMs } };
  }
  if (state.skipping && !offer.keyframe) {
    return { action: 'skip', reason: 'await-keyframe', state: { skipping: true, behindSinceMs: null } };
  }
  return { action: 'send', reason: 'ok', state: { skipping: false, behindSinceMs: null } };
}

/** Lag in ms from timestamps in µs; never negative (a new publisher timeline may restart lower). */
export function lagMs(lastSentUs: number | null, lastAckUs: number | null): number | null {
  if (lastSentUs === null || lastAckUs === null) return null;
  return Math.max(0, (lastSentUs - lastAckUs) / 1000);
}

/** How long a relay delay is remembered, so acks for a burst the relay sent late can come back. */
export const RELAY_DELAY_HOLD_MS = 3_000;
/** The baseline (fastest arrival) is the minimum over this window, so a clock drift cannot pin it. */
export const RELAY_DELAY_WINDOW_MS = 10_000;

/**
 * How far behind the publisher's clock the relay itself is handling frames. After the event loop
 * was held up (a long send burst, GC), frames that queued in the kernel are relayed in one go and
 * the viewers' acks for them are still unread: that lag is the relay's, not the viewers', so it is
 * subtracted before the lag rule judges a viewer. Measured as this frame's (arrival - timestamp)
 * above the smallest such offset seen recently; the peak is held for RELAY_DELAY_HOLD_MS.
 */
export class RelayDelay {
  private currentMinMs = Infinity;
  private previousMinMs = Infinity;
  private windowStartMs: number | null = null;
  private peakMs = 0;
  private peakAtMs = 0;

  observe(nowMs: number, timestampUs: number): number {
    if (this.windowStartMs === null || nowMs - this.windowStartMs >= RELAY_DELAY_WINDOW_MS) {
      this.previousMinMs = this.currentMinMs;
      this.currentMinMs = Infinity;
      this.windowStartMs = nowMs;
    }
    const offsetMs = nowMs - timestampUs / 1000;
    this.currentMinMs = Math.min(this.currentMinMs, offsetMs);
    const delayMs = offsetMs - Math.min(this.currentMinMs, this.previousMinMs);
    if (delayMs >= this.peakMs || nowMs - this.peakAtMs > RELAY_DELAY_HOLD_MS) {
      this.peakMs = delayMs;
      this.peakAtMs = nowMs;
    }
    return this.peakMs;
  }

  /** A new publisher timeline: old offsets mean nothing. */
  reset(): void {
    this.currentMinMs = Infinity;
    this.previousMinMs = Infinity;
    this.windowStartMs = null;
    this.peakMs = 0;
  }
}
