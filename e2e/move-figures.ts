/**
 * The figures of the move scenarios, computed from what the pages and the test recorded (wall-clock
 * ms): gaps between painted frames, how long a move took to show at a viewer, how long the stream was
 * missing from the directory. Pure, so each is tested on its own (move-figures.test.ts).
 */

/** Longest time without a painted frame within [fromMs, toMs], counting from `fromMs` and up to `toMs`. */
export function longestGapMs(paints: readonly number[], fromMs: number, toMs: number): number {
  let last = fromMs;
  let longest = 0;
  for (const at of paints) {
    if (at <= fromMs) continue;
    if (at > toMs) break;
    longest = Math.max(longest, at - last);
    last = at;
  }
  return Math.max(longest, toMs - last);
}

/**
 * From `signalMs` (the home's kill signal, or its crash) to the first frame painted from the new home:
 * the first paint after the first watch socket that opened at or after `signalMs`. Null when none yet.
 */
export function recoveryMs(signalMs: number, opens: readonly number[], paints: readonly number[]): number | null {
  const opened = opens.find((at) => at >= signalMs);
  if (opened === undefined) return null;
  const painted = paints.find((at) => at >= opened);
  return painted === undefined ? null : painted - signalMs;
}

/** One read of the directory: whether it listed the stream, and where. */
export interface Poll {
  atMs: number;
  home: string | null;
}

/**
 * Longest stretch the stream was missing, from the last read that listed it to the next one that did
 * (an upper bound: it may have come back just after the earlier read). 0 when it was never missing.
 */
export function longestAbsenceMs(polls: readonly Poll[]): number {
  let longest = 0;
  let lastSeen: number | null = null;
  let missing = false;
  for (const poll of polls) {
    if (poll.home === null) {
      missing = true;
      continue;
    }
    if (missing && lastSeen !== null) longest = Math.max(longest, poll.atMs - lastSeen);
    missing = false;
    lastSeen = poll.atMs;
  }
  return longest;
}

/** Where the directory last listed the stream at or before `atMs` (null before any listing). */
export function homeAt(polls: readonly Poll[], atMs: number): string | null {
  let home: string | null = null;
  for (const poll of polls) {
    if (poll.atMs > atMs) break;
    if (poll.home !== null) home = poll.home;
  }
  return home;
}

/** The p-th percentile (0-100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
