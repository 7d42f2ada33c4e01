/** Reconnect schedule shared by the pages' sockets and the directory feed. */
export interface BackoffPolicy {
  /** Delay ceiling of the first retry. */
  baseMs: number;
  /** No retry waits longer than this. */
  maxMs: number;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 10_000 };

/**
 * Delay before retry number `attempt` (0 = first retry): exponential ceiling, "equal jitter" below it
 * (half fixed, half random) so a crowd of viewers cut off together does not come back in one wave,
 * yet nobody retries at once. `random` returns [0, 1), injectable for tests.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = RECONNECT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(0, Math.floor(attempt));
  // 2^n overflows to Infinity for huge n; Math.min keeps the ceiling finite.
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n, 30));
  const half = ceiling / 2;
  return Math.round(half + half * Math.min(Math.max(random(), 0), 1));
}
