/**
 * Verdicts that say when a run cannot decide: a median with its confidence interval, judged against a
 * target. When the interval lies on one side of the target the noise of this run could not have
 * flipped the result (PASS or FAIL); when it straddles the target, the run is not trustworthy, whatever
 * side the median happens to fall on. Pure functions; the benchmarks print what they return.
 */

export interface MedianEstimate {
  median: number;
  /** Approximate 95 % interval of the median: median -+ 1.58 x IQR / sqrt(n) (McGill, Tukey and Larsen's notch). */
  low: number;
  high: number;
  n: number;
}

/** Linear interpolation between the closest ranks (R's type 7, what spreadsheets do). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function medianEstimate(values: readonly number[]): MedianEstimate {
  const median = quantile(values, 0.5);
  const half = (1.58 * (quantile(values, 0.75) - quantile(values, 0.25))) / Math.sqrt(values.length);
  return { median, low: median - half, high: median + half, n: values.length };
}

export type Verdict = 'PASS' | 'FAIL' | 'NOT TRUSTWORTHY';

/** `value >= target` (or `<=` for 'at-most'), decided only when the whole interval agrees. */
export function judge(estimate: MedianEstimate, target: number, direction: 'at-least' | 'at-most'): Verdict {
  const [worst, best] = direction === 'at-least' ? [estimate.low, estimate.high] : [estimate.high, estimate.low];
  const meets = (v: number) => (direction === 'at-least' ? v >= target : v <= target);
  if (meets(worst)) return 'PASS';
  if (!meets(best)) return 'FAIL';
  return 'NOT TRUSTWORTHY';
}

/**
 * Estimates of one ratio taken with the sides' roles rotated (e.g. which server was started first),
 * combined so an effect of the role cancels: the geometric mean of the medians, and of the bounds (an
 * interval as wide as the parts' when they agree). `roleEffect` is how far the part furthest off sits
 * from the combined figure, as a fraction (0 = the role made no difference).
 */
export function combineRotations(parts: readonly MedianEstimate[]): MedianEstimate & { roleEffect: number } {
  if (parts.length === 0) throw new Error('nothing to combine');
  const gm = (f: (e: MedianEstimate) => number) =>
    Math.exp(parts.reduce((sum, e) => sum + Math.log(f(e)), 0) / parts.length);
  const median = gm((e) => e.median);
  return {
    median,
    low: gm((e) => e.low),
    high: gm((e) => e.high),
    n: parts.reduce((sum, e) => sum + e.n, 0),
    roleEffect: Math.max(...parts.map((e) => Math.abs(e.median / median - 1))),
  };
}

/**
 * `judge`, but only when a control measured in the same run (the same code on both sides, so its true
 * ratio is 1) shows the run can resolve the difference at stake: its whole interval within 1 -+
 * `tolerance`. Otherwise the run is not trustworthy, whatever the estimate says.
 */
export function judgeWithControl(
  estimate: MedianEstimate,
  control: MedianEstimate,
  target: number,
  direction: 'at-least' | 'at-most',
  tolerance: number,
): { verdict: Verdict; reason: string } {
  const range = `${control.low.toFixed(3)}-${control.high.toFixed(3)}`;
  if (control.low < 1 - tolerance || control.high > 1 + tolerance) {
    return {
      verdict: 'NOT TRUSTWORTHY',
      reason: `the control (the same server twice) read ${control.median.toFixed(3)} (${range}), not 1 within ${tolerance}: this run cannot resolve the target`,
    };
  }
  const verdict = judge(estimate, target, direction);
  const reason =
    verdict === 'NOT TRUSTWORTHY'
      ? `the rounds disagree too much to tell (interval ${estimate.low.toFixed(3)}-${estimate.high.toFixed(3)} spans ${target})`
      : `the control read ${control.median.toFixed(3)} (${range}): the run resolves the target`;
  return { verdict, reason };
}
