/**
 * The statistics of the fan-out benchmark, as pure functions: the order of the interleaved rounds,
 * medians per side, relay / bare ratios of the medians, and the pass/fail verdicts on the targets.
 * One run per side swings too much on a saturated 2-core machine; the median of interleaved rounds
 * does not let one unlucky round (a GC, another process waking up) decide the verdict.
 */

/** What one round of one side measured (healthy viewers only). */
export interface RoundFigures {
  /** Frames received / frames expected over the window, 0..1. */
  deliveredFraction: number;
  /** Frames sent in the window that some healthy viewer never got. */
  lossFrames: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU over the window, % of one core. */
  cpuPct: number;
}

export interface SideSummary {
  rounds: number;
  deliveredFraction: number;
  p50Ms: number;
  p99Ms: number;
  cpuPct: number;
  /** Summed over every round, not a median: one lost frame anywhere is a loss. */
  lossFrames: number;
  /** Smallest and largest p99 of the rounds: how noisy this side was. */
  p99MinMs: number;
  p99MaxMs: number;
}

export interface Ratios {
  delivered: number;
  p50: number;
  p99: number;
  cpu: number;
}

export interface Targets {
  minDeliveredRatio: number;
  maxP99Ratio: number;
}

export interface Check {
  what: string;
  ok: boolean;
}

/**
 * The order of the rounds: `roundsEach` blocks, block k being `variants` rotated by k, so each
 * variant runs equally often in each position (for two variants: A B B A A B ...) and a drift of the
 * machine over the run (warming up, another job starting) does not favour one side.
 */
export function roundOrder<T>(variants: readonly T[], roundsEach: number): T[] {
  const order: T[] = [];
  for (let block = 0; block < roundsEach; block++) {
    for (let i = 0; i < variants.length; i++) order.push(variants[(block + i) % variants.length]!);
  }
  return order;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarise(rounds: readonly RoundFigures[]): SideSummary {
  const p99s = rounds.map((r) => r.p99Ms);
  return {
    rounds: rounds.length,
    deliveredFraction: median(rounds.map((r) => r.deliveredFraction)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(p99s),
    cpuPct: median(rounds.map((r) => r.cpuPct)),
    lossFrames: rounds.reduce((sum, r) => sum + r.lossFrames, 0),
    p99MinMs: Math.min(...p99s),
    p99MaxMs: Math.max(...p99s),
  };
}

/** relay / bare, median against median. */
export function ratios(relay: SideSummary, bare: SideSummary): Ratios {
  return {
    delivered: relay.deliveredFraction / bare.deliveredFraction,
    p50: relay.p50Ms / bare.p50Ms,
    p99: relay.p99Ms / bare.p99Ms,
    cpu: relay.cpuPct / bare.cpuPct,
  };
}

/** The relay's targets against the bare loop for one comparison, judged on the medians; loss must be zero in every round. */
export function verdicts(label: string, relay: SideSummary, bare: SideSummary, targets: Targets): Check[] {
  const r = ratios(relay, bare);
  return [
    {
      what: `${label}: delivered ratio of medians ${r.delivered.toFixed(3)} >= ${targets.minDeliveredRatio}`,
      ok: r.delivered >= targets.minDeliveredRatio,
    },
    {
      what: `${label}: p99 ratio of medians ${r.p99.toFixed(2)} <= ${targets.maxP99Ratio}`,
      ok: r.p99 <= targets.maxP99Ratio,
    },
    {
      what: `${label}: relay loss over ${relay.rounds} rounds ${relay.lossFrames} frames = 0`,
      ok: relay.lossFrames === 0,
    },
  ];
}

export interface RetryLimits {
  /** Machine CPU used by neither the server nor the load generator above which a round is suspect, % of one core. */
  maxRestPct: number;
  maxRetriesPerRound: number;
  maxRetriesPerRun: number;
}

/**
 * Whether to run a round again because other work shared the machine during it. The measure (CPU
 * that neither process under test used) does not depend on the side, so discarding such rounds
 * favours neither; the retries are bounded so a busy machine cannot stretch the run without end.
 */
export function shouldRetry(
  restPct: number,
  retriesOfRound: number,
  retriesOfRun: number,
  limits: RetryLimits,
): boolean {
  return (
    restPct > limits.maxRestPct && retriesOfRound < limits.maxRetriesPerRound && retriesOfRun < limits.maxRetriesPerRun
  );
}
