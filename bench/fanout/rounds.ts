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
  /** The server's worst event-loop hold-up in the window, ms. */
  loopHoldUpMs: number;
  /** Viewers the relay's slow-viewer rule marked behind (skipped) in the round; 0 for the bare loop. */
  viewersSkipped: number;
  /** Healthy viewers that missed at least one frame of the window. */
  viewersWithLoss: number;
  /** Other work on the machine got in the way of this round (see disturbed()). */
  disturbed: boolean;
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
  loopHoldUpMs: number;
  /** Summed over the rounds, like loss. */
  viewersSkipped: number;
  viewersWithLoss: number;
  /** How many of the rounds were disturbed. */
  disturbedRounds: number;
}

export interface Ratios {
  delivered: number;
  p50: number;
  p99: number;
  cpu: number;
  loopHoldUp: number;
}

/** Which checks a comparison gets; an absent one is not checked. */
export interface Targets {
  minDeliveredRatio: number;
  maxP99Ratio?: number;
  /** The relay loses no frame for a healthy viewer in any round. */
  zeroLoss?: boolean;
  /** The relay's worst loop hold-up (median of rounds) at most this times the bare loop's. */
  maxLoopHoldUpRatio?: number;
  /** The relay skips no more viewers (over its rounds) than the bare loop has viewers with loss. */
  skippedAtMostBareLoss?: boolean;
}

export interface Check {
  what: string;
  ok: boolean;
  /** False when too many rounds of either side were disturbed for the figure to mean anything. */
  trusted: boolean;
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
    loopHoldUpMs: median(rounds.map((r) => r.loopHoldUpMs)),
    viewersSkipped: rounds.reduce((sum, r) => sum + r.viewersSkipped, 0),
    viewersWithLoss: rounds.reduce((sum, r) => sum + r.viewersWithLoss, 0),
    disturbedRounds: rounds.filter((r) => r.disturbed).length,
  };
}

/** relay / bare, median against median. */
export function ratios(relay: SideSummary, bare: SideSummary): Ratios {
  return {
    delivered: relay.deliveredFraction / bare.deliveredFraction,
    p50: relay.p50Ms / bare.p50Ms,
    p99: relay.p99Ms / bare.p99Ms,
    cpu: relay.cpuPct / bare.cpuPct,
    loopHoldUp: relay.loopHoldUpMs / bare.loopHoldUpMs,
  };
}

/** A side whose rounds were disturbed this often (more than a third) cannot be compared. */
export function trustworthy(side: SideSummary): boolean {
  return side.disturbedRounds * 3 <= side.rounds;
}

/** The targets for one comparison, judged on the medians; loss must be zero in every round. */
export function verdicts(label: string, relay: SideSummary, bare: SideSummary, targets: Targets): Check[] {
  const r = ratios(relay, bare);
  const trusted = trustworthy(relay) && trustworthy(bare);
  const checks: Check[] = [
    {
      what: `${label}: delivered ratio of medians ${r.delivered.toFixed(3)} >= ${targets.minDeliveredRatio}`,
      ok: r.delivered >= targets.minDeliveredRatio,
      trusted,
    },
  ];
  if (targets.maxP99Ratio !== undefined)
    checks.push({
      what: `${label}: p99 ratio of medians ${r.p99.toFixed(2)} <= ${targets.maxP99Ratio}`,
      ok: r.p99 <= targets.maxP99Ratio,
      trusted,
    });
  if (targets.zeroLoss)
    checks.push({
      what: `${label}: relay loss over ${relay.rounds} rounds ${relay.lossFrames} frames = 0`,
      ok: relay.lossFrames === 0,
      trusted,
    });
  if (targets.maxLoopHoldUpRatio !== undefined)
    checks.push({
      what: `${label}: worst loop hold-up, ratio of medians ${r.loopHoldUp.toFixed(2)} (${relay.loopHoldUpMs.toFixed(0)} / ${bare.loopHoldUpMs.toFixed(0)} ms) <= ${targets.maxLoopHoldUpRatio}`,
      ok: r.loopHoldUp <= targets.maxLoopHoldUpRatio,
      trusted,
    });
  if (targets.skippedAtMostBareLoss)
    checks.push({
      what: `${label}: viewers the relay skipped ${relay.viewersSkipped} <= viewers with loss on the bare loop ${bare.viewersWithLoss} (over the rounds)`,
      ok: relay.viewersSkipped <= bare.viewersWithLoss,
      trusted,
    });
  return checks;
}

/** PASS or FAIL, or NOT TRUSTWORTHY when interference could have decided it. */
export function checkLine(c: Check): string {
  return `${c.trusted ? (c.ok ? 'PASS' : 'FAIL') : `NOT TRUSTWORTHY (would be ${c.ok ? 'pass' : 'fail'})`} ${c.what}`;
}

/** What tells a round that other work got in the way, measured over its window. */
export interface Interference {
  /** Time the server was ready to run but waited for a core, % of the window. */
  serverWaitPct: number;
  /** The same for the load generator. */
  loadWaitPct: number;
  /** Machine CPU used by neither process (kernel loopback work, other jobs), % of one core. */
  restPct: number;
}

export interface DisturbanceLimits {
  maxWaitPct: number;
  maxRestPct: number;
}

/**
 * A round is disturbed when the server or the load generator waited for a core too long, or other work
 * took too much of the machine: its latencies then measure the scheduler, not the code.
 */
export function disturbed(i: Interference, limits: DisturbanceLimits): boolean {
  return i.serverWaitPct > limits.maxWaitPct || i.loadWaitPct > limits.maxWaitPct || i.restPct > limits.maxRestPct;
}

export interface RetryLimits {
  maxRetriesPerRound: number;
  maxRetriesPerRun: number;
}

/**
 * Whether to run a disturbed round again. The measure does not depend on the side, so discarding such
 * rounds favours neither; the retries are bounded so a busy machine cannot stretch the run without end
 * (the verdict then says the comparison is not trustworthy instead).
 */
export function shouldRetry(
  wasDisturbed: boolean,
  retriesOfRound: number,
  retriesOfRun: number,
  limits: RetryLimits,
): boolean {
  return wasDisturbed && retriesOfRound < limits.maxRetriesPerRound && retriesOfRun < limits.maxRetriesPerRun;
}

/** How much other work got in the way over a whole run, for the verdict line. */
export interface InterferenceSummary {
  rounds: number;
  disturbedRounds: number;
  /** Medians over the rounds: "rest" in % of one core, the longer of the two processes' waits in % of the window. */
  restPct: number;
  waitPct: number;
}

export function summariseInterference(
  rounds: ReadonlyArray<Interference & { disturbed: boolean }>,
): InterferenceSummary {
  if (rounds.length === 0) return { rounds: 0, disturbedRounds: 0, restPct: 0, waitPct: 0 };
  return {
    rounds: rounds.length,
    disturbedRounds: rounds.filter((r) => r.disturbed).length,
    restPct: median(rounds.map((r) => r.restPct)),
    waitPct: median(rounds.map((r) => Math.max(r.serverWaitPct, r.loadWaitPct))),
  };
}

/** What the verdict line says about interference: measured, not guessed from the load average. */
export function interferenceLine(s: InterferenceSummary): string {
  return (
    `${s.disturbedRounds} of ${s.rounds} rounds disturbed by other work; over the run, median ` +
    `"rest" (CPU used by neither process) ${s.restPct.toFixed(0)} % of a core, median wait for a core ${s.waitPct.toFixed(0)} % of the window`
  );
}
