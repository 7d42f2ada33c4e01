export interface BackoffBounds {
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * Delay before the next discovery attempt after `failures` failed rounds in a row (>= 1): base doubled
 * per failure, capped at max, then "equal jitter" (between half and all of it) so a cluster that lost DNS
 * together does not retry in lockstep. `random` is in [0, 1); passed in so tests can pin it.
 */
export function backoffDelayMs(failures: number, bounds: BackoffBounds, random: number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const capped = Math.min(bounds.backoffMaxMs, bounds.backoffBaseMs * 2 ** exponent);
  return Math.round(capped / 2 + (capped / 2) * Math.min(Math.max(random, 0), 1));
}

/** The discovery interval scaled by a factor in [1 - ratio, 1 + ratio]; `random` is in [0, 1). */
export function jitteredIntervalMs(intervalMs: number, ratio: number, random: number): number {
  const r = Math.min(Math.max(ratio, 0), 1);
  return Math.round(intervalMs * (1 - r + 2 * r * Math.min(Math.max(random, 0), 1)));
}
