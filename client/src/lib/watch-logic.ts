/**
 * Pure decisions of the watch page: what a socket close means, where to go after asking the
 * directory, which frames the decoder may see, and when to ack. No DOM here (chat: ./chat.ts).
 */

import { type BackoffPolicy, backoffDelayMs } from '../../../shared/backoff.ts';
import { isMachineId } from '../../../shared/machine-id.ts';
import { CloseCode } from '../../../shared/protocol.ts';
import { RECONNECT_BACKOFF } from './reconnect.ts';

export type WatchState =
  /** Opening the socket (first time or after following the stream). */
  | 'connecting'
  /** Hello received; frames flowing (or about to). */
  | 'live'
  /** We were connected and lost it; retrying. */
  | 'reconnecting'
  /** The home Machine cannot be reached (socket refused before opening, or the browser is offline). */
  | 'offline'
  | 'ended'
  /** The directory never knew this stream and no socket ever opened. */
  | 'not-found'
  /** The server speaks another protocol version: this page must be reloaded. */
  | 'outdated';

/** How a watch socket ended, as the page saw it. */
export interface CloseInfo {
  code: number;
  /** An `ended` message arrived before the close. */
  endedMessage: boolean;
}

/** A close that settles it (the stream is over, or this page is too old) or one that needs the directory's opinion. */
export function classifyClose(info: CloseInfo): 'ended' | 'outdated' | 'ask-directory' {
  if (info.code === CloseCode.protocolMismatch) return 'outdated';
  if (info.endedMessage || info.code === CloseCode.normal || info.code === CloseCode.notFound) return 'ended';
  // 1001 (Machine going away), 4008 (too slow), 1006 (connection lost): the stream may live on,
  // here or on another Machine if its creator reconnected elsewhere.
  return 'ask-directory';
}

/** What `GET /api/streams/<id>` said. */
export type Lookup =
  | { kind: 'found'; machineId: string; region: string }
  | { kind: 'gone' }
  /** Network error or a 5xx: no opinion. */
  | { kind: 'unreachable' };

export type NextStep =
  | { action: 'ended'; state: 'ended' | 'not-found' }
  /** Connect to `home` after `delayMs`, showing `state` meanwhile; `region` of the new home when it moved. */
  | { action: 'connect'; home: string | null; delayMs: number; state: WatchState; moved: boolean; region?: string };

export interface StepContext {
  /** The Machine the last socket went to (null off Fly). */
  home: string | null;
  /** Failed tries since the last hello (0 for the first retry). */
  attempt: number;
  /** Whether any socket of this page ever got a hello. */
  everConnected: boolean;
  /** Whether the socket that just closed had opened (handshake done). */
  lastOpened: boolean;
  /** Consecutive retries allowed before giving up on a home the directory still lists. */
  maxAttempts: number;
}

/** Retries a directory still lists, before the page settles on "offline" for good. */
export const MAX_RECONNECT_ATTEMPTS = 12;

export function nextStep(
  lookup: Lookup,
  ctx: StepContext,
  policy: BackoffPolicy = RECONNECT_BACKOFF,
  random: () => number = Math.random,
): NextStep {
  if (lookup.kind === 'gone') return { action: 'ended', state: ctx.everConnected ? 'ended' : 'not-found' };
  if (ctx.attempt >= ctx.maxAttempts) return { action: 'ended', state: ctx.everConnected ? 'ended' : 'not-found' };
  if (lookup.kind === 'found' && isMachineId(lookup.machineId) && lookup.machineId !== ctx.home) {
    // The creator reconnected on another Machine: follow at once; should directories keep
    // disagreeing, later hops back off and the attempt bound still ends it.
    const delayMs = ctx.attempt === 0 ? 0 : backoffDelayMs(ctx.attempt, policy, random());
    return {
      action: 'connect',
      home: lookup.machineId,
      delayMs,
      state: 'connecting',
      moved: true,
      region: lookup.region,
    };
  }
  const state: WatchState = !ctx.lastOpened || lookup.kind === 'unreachable' ? 'offline' : 'reconnecting';
  return {
    action: 'connect',
    home: ctx.home,
    delayMs: backoffDelayMs(ctx.attempt, policy, random()),
    state,
    moved: false,
  };
}

/**
 * A retry's socket to the same home that has not opened after this long: the home does not answer (it
 * crashed, and the edge may be starting it again, which takes seconds), so the page says offline while
 * it keeps trying, rather than "reconnecting" for as long as the start takes.
 */
export const UNREACHABLE_AFTER_MS = 2000;

/** What the page shows while a retry's socket is still pending, `waitedMs` after it was opened. */
export function pendingRetryState(current: WatchState, waitedMs: number): WatchState {
  return current === 'reconnecting' && waitedMs >= UNREACHABLE_AFTER_MS ? 'offline' : current;
}

/** What a `moved` message said just before the close: where the stream lives now. */
export interface MovedHint {
  machineId: string;
  region: string;
}

/**
 * A close that came after a `moved` message: follow the stream to the Machine it named at once, without
 * asking the directory (whose answer could still be the old home for a moment). Null when there is no
 * usable hint, or the close ended the stream: then the usual path (classifyClose, the directory) applies.
 */
export function followMoved(hint: MovedHint | null, close: CloseInfo, home: string | null): NextStep | null {
  if (hint === null || !isMachineId(hint.machineId) || hint.machineId === home) return null;
  if (classifyClose(close) === 'ended') return null;
  return { action: 'connect', home: hint.machineId, delayMs: 0, state: 'connecting', moved: true, region: hint.region };
}

/**
 * Just before a retry to the same home, the directory is asked again: a creator whose home crashed
 * resumes the stream elsewhere within a second or so, sooner than the old home (auto started, or gone)
 * would answer. Another home listed now is followed; anything else keeps the planned retry.
 */
export function recheckHome(lookup: Lookup, home: string | null): { home: string | null; movedTo?: string } {
  if (lookup.kind === 'found' && isMachineId(lookup.machineId) && lookup.machineId !== home) {
    return { home: lookup.machineId, movedTo: lookup.region };
  }
  return { home };
}

/** How long "stream moved to <region>" stays up after a move. */
export const MOVED_NOTICE_MS = 10_000;

/**
 * A decoder must see a keyframe first after configure() or a rebuild; until then every frame is
 * skipped (never fed), so the decoder never errors on a delta frame without its reference.
 */
export class KeyframeGate {
  private waiting = true;
  /** Frames skipped while waiting, for the stats line. */
  skipped = 0;

  accept(keyframe: boolean): boolean {
    if (this.waiting) {
      if (!keyframe) {
        this.skipped++;
        return false;
      }
      this.waiting = false;
    }
    return true;
  }

  reset(): void {
    this.waiting = true;
  }

  get isWaiting(): boolean {
    return this.waiting;
  }
}

/**
 * Latency from a frame's timestamp when the publisher stamps wall-clock microseconds (the demo
 * streams and the go-live page do). Null when the clocks obviously disagree.
 */
export const MAX_PLAUSIBLE_LATENCY_MS = 60_000;
export function latencyMs(timestampUs: number, nowMs: number): number | null {
  const ms = nowMs - timestampUs / 1000;
  return ms >= 0 && ms <= MAX_PLAUSIBLE_LATENCY_MS ? Math.round(ms) : null;
}

/** Acks go out every this much media time (the protocol asks for 250-500 ms). */
export const ACK_INTERVAL_US = 400_000;

/**
 * Whether a frame just decoded (or, without a decoder, received) should be acked. Driven by media
 * time from the decode path, not by a timer: background tabs throttle timers to once a second or
 * less, and a viewer whose acks lag is skipped and then cut off. A timestamp that went backwards
 * (a new publisher, another Machine) acks at once.
 */
export function ackDue(lastAckedUs: number | null, timestampUs: number, intervalUs = ACK_INTERVAL_US): boolean {
  return lastAckedUs === null || timestampUs < lastAckedUs || timestampUs - lastAckedUs >= intervalUs;
}
