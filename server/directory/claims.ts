import { STREAM_EPOCH_MAX } from '../../shared/protocol.ts';

/** One Machine's claim on a stream id: when a stream moves, its old and new homes may both list it a while. */
export interface Claim {
  machineId: string;
  epoch: number;
  startedAt: number;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Positive when `a` is the stream's home rather than `b`: the higher epoch (it moved there last), then
 * the later start, then the lower Machine id, so every Machine picks the same home from the same claims.
 */
export function compareClaims(a: Claim, b: Claim): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return byId(b.machineId, a.machineId);
}

/** A stream entry's epoch; absent (a Machine from before moves) is 0. A string says why it is refused. */
export function parseEpoch(value: unknown): number | string {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > STREAM_EPOCH_MAX)
    return `must be a whole number from 0 to ${STREAM_EPOCH_MAX}`;
  return value as number;
}

export interface StartRules {
  /** When the listing Machine booted, and when the stream's id (a ULID) was made, ms since the epoch. */
  bootMs: number;
  idMs: number;
  nowMs: number;
  clockSkewMs: number;
}

/**
 * Whether `startedAt` is a start a stream of this epoch can have: not in the future, and no earlier
 * than the Machine's boot for a stream that began there (epoch 0), or than its id for one that moved
 * in (it keeps the start it had on its first home). Each bound give or take the clock skew. Null: fine.
 */
export function startedAtProblem(epoch: number, startedAt: unknown, rules: StartRules): string | null {
  const earliest = (epoch === 0 ? rules.bootMs : rules.idMs) - rules.clockSkewMs;
  if (
    !Number.isSafeInteger(startedAt) ||
    (startedAt as number) < earliest ||
    (startedAt as number) > rules.nowMs + rules.clockSkewMs
  )
    return epoch === 0
      ? 'must be ms since the epoch, after its Machine booted and not in the future'
      : 'must be ms since the epoch, after the stream was created and not in the future';
  return null;
}
