/**
 * Retry and polling delays, one definition for the browser's reconnects and the server's discovery.
 * Pure: the caller passes the random draw (in [0, 1)), so tests pin it and callers choose the source.
 */
export interface BackoffPolicy {
  /** Delay ceiling of the first retry. */
  baseMs: number;
  /** No retry waits longer than this. */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0 = first retry): the ceiling doubles per attempt up to `maxMs`,
 * then "equal jitter" (half fixed, half random) so a crowd cut off together does not come back in one
 * wave, yet nobody retries at once.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const n = Math.max(0, Math.floor(attempt));
  // 2^n overflows to Infinity for huge n; capping the exponent keeps the ceiling finite.
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n, 30));
  const half = ceiling / 2;
  return Math.round(half + half * unit(random));
}

/** `intervalMs` scaled by a factor in [1 - ratio, 1 + ratio], so peers started together drift apart. */
export function jitteredIntervalMs(intervalMs: number, ratio: number, random: number): number {
  const r = Math.min(Math.max(ratio, 0), 1);
  return Math.round(intervalMs * (1 - r + 2 * r * unit(random)));
}

function unit(random: number): number {
  return Math.min(Math.max(random, 0), 1);
}
