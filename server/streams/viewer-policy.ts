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
