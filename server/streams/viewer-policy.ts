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
  readonly skipping: boolean;
  /** When the viewer went over a limit; null while it is within them. */
  readonly behindSinceMs: number | null;
  /**
   * Behind by lag: the ack it had then. It stays behind until an ack moves past this, so nothing
   * but the viewer itself (no change in how the relay is doing) can clear it. null: not behind by lag.
   */
  readonly lagHeldAtAckUs: number | null;
}

export interface FrameOffer {
  keyframe: boolean;
  nowMs: number;
  /** ws.bufferedAmount: bytes queued in user space for this viewer. */
  bufferedBytes: number;
  /** Last frame timestamp sent to this viewer minus the last one it acked, in ms; null before any frame. */
  lagMs: number | null;
  /** The timestamp it last acked (before its first ack, the frame that counts as acked); null before any frame. */
  ackUs: number | null;
  /**
   * The lag the audience shares (see relayLagMs): the relay's own lateness, which is held against no
   * viewer; only a viewer's lag beyond it counts. 0 for an audience too small to tell.
   */
  relayLagMs: number;
}

export type FlowAction = 'send' | 'skip' | 'close';
export type FlowReason = 'backlog' | 'lag' | 'await-keyframe' | 'ok';

export interface FlowDecision {
  readonly action: FlowAction;
  readonly reason: FlowReason;
  readonly state: FlowState;
}

// Shared, never mutated: the rule runs for every viewer on every frame, and the common outcomes
// allocate nothing.
const SENDING: FlowState = Object.freeze({ skipping: false, behindSinceMs: null, lagHeldAtAckUs: null });
const AWAITING_KEYFRAME: FlowState = Object.freeze({ skipping: true, behindSinceMs: null, lagHeldAtAckUs: null });
const SEND: FlowDecision = Object.freeze({ action: 'send', reason: 'ok', state: SENDING });
const AWAIT_KEYFRAME: FlowDecision = Object.freeze({
  action: 'skip',
  reason: 'await-keyframe',
  state: AWAITING_KEYFRAME,
});

export const initialFlowState = (haveKeyframe: boolean): FlowState => (haveKeyframe ? SENDING : AWAITING_KEYFRAME);

export function decideFrame(state: FlowState, offer: FrameOffer, limits: FlowLimits): FlowDecision {
  const overBacklog = offer.bufferedBytes > limits.viewerMaxBacklogBytes;
  // Lag the whole audience shares is the relay's (its loop, its CPU, its network), not this viewer's.
  const overLag = offer.lagMs !== null && offer.lagMs - offer.relayLagMs > limits.viewerMaxLagMs;
  const lagHeld = state.lagHeldAtAckUs !== null && offer.ackUs === state.lagHeldAtAckUs;
  const behindByLag = lagHeld || overLag;
  if (overBacklog || behindByLag) {
    const behindSinceMs = state.behindSinceMs ?? offer.nowMs;
    const lagHeldAtAckUs = behindByLag ? (lagHeld ? state.lagHeldAtAckUs : offer.ackUs) : null;
    const next =
      state.skipping && state.behindSinceMs === behindSinceMs && state.lagHeldAtAckUs === lagHeldAtAckUs
        ? state
        : { skipping: true, behindSinceMs, lagHeldAtAckUs };
    return {
      action: offer.nowMs - behindSinceMs >= limits.slowViewerCloseMs ? 'close' : 'skip',
      reason: overBacklog ? 'backlog' : 'lag',
      state: next,
    };
  }
  return state.skipping && !offer.keyframe ? AWAIT_KEYFRAME : SEND;
}

/** Lag in ms from timestamps in µs; never negative (a new publisher timeline may restart lower). */
export function lagMs(lastSentUs: number | null, lastAckUs: number | null): number | null {
  if (lastSentUs === null || lastAckUs === null) return null;
  return Math.max(0, (lastSentUs - lastAckUs) / 1000);
}

/** Below this many viewers (with a lag), the audience's lag is not told apart from each viewer's: a few can all stall. */
export const LAG_CROWD_MIN_VIEWERS = 10;

/**
 * The relay's own lateness as its audience shows it: the lag at least half of the viewers have (the
 * lower median of `lagsMs[0..count)`, which it sorts in place), or 0 for fewer than
 * LAG_CROWD_MIN_VIEWERS. Independent viewers do not fall behind together; when they all seem to (a
 * held-up event loop relaying a queued burst before it can read an ack, a saturated machine), the
 * relay is the slow one, and skipping them would only punish healthy viewers. Measured against this,
 * a viewer that stopped reading still stands out (its lag grows, the audience's does not), unless it
 * is half the audience: then the backlog limit (memory) is what catches it.
 */
export function relayLagMs(lagsMs: Float64Array, count: number): number {
  if (count < LAG_CROWD_MIN_VIEWERS) return 0;
  const lags = lagsMs.subarray(0, count).sort();
  return lags[(count - 1) >> 1]!;
}
