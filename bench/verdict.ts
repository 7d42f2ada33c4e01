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
