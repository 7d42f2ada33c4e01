import type { TestGroup } from './groups.ts';

/** Milliseconds each test file's tests took on the last run, by path relative to the repository. */
export type Timings = Record<string, number>;

/** The timings file as last written, or none when it is missing or cut short (a run that was stopped). */
export function parseTimings(text: string | null): Timings {
  if (text === null) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
    );
  } catch {
    return {};
  }
}

/**
 * Longest groups first, so the last to start are short and no group runs on alone at the end. A group's length is
 * what its files took last time; a group with a file never timed goes first (it may be long), then by file count.
 */
export function orderGroups(groups: readonly TestGroup[], timings: Timings): TestGroup[] {
  const cost = (group: TestGroup): number =>
    group.files.some((file) => timings[file] === undefined)
      ? Number.POSITIVE_INFINITY
      : group.files.reduce((sum, file) => sum + (timings[file] ?? 0), 0);
  return [...groups].sort(
    (a, b) => cost(b) - cost(a) || b.files.length - a.files.length || a.name.localeCompare(b.name),
  );
}
