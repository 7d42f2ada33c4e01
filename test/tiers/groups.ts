import { dirname } from 'node:path';

/** Test files run in one process: at most this many, all from one folder. */
export const MAX_FILES_PER_GROUP = 8;

export interface TestGroup {
  /** `<folder>/unit-<n>`: where the bundle goes and what a failure's path says. */
  name: string;
  files: string[];
}

/**
 * Splits test files into groups, one process each: a folder's tests share most of what they import, so loading it
 * once per group instead of once per file saves most of the start-up. Groups are capped so that one folder's tests,
 * which run one after another, do not outlast the rest. Largest groups first: they start early and end last.
 */
export function groupTests(files: readonly string[], maxFiles: number = MAX_FILES_PER_GROUP): TestGroup[] {
  const byFolder = new Map<string, string[]>();
  for (const file of [...files].sort()) {
    const folder = dirname(file);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), file]);
  }
  const groups: TestGroup[] = [];
  for (const [folder, inFolder] of byFolder) {
    const count = Math.ceil(inFolder.length / maxFiles);
    // Even shares: 9 files make groups of 5 and 4, not 8 and 1.
    const size = Math.ceil(inFolder.length / count);
    for (let i = 0; i < count; i++) {
      groups.push({ name: `${folder}/unit-${i + 1}`, files: inFolder.slice(i * size, (i + 1) * size) });
    }
  }
  return groups.sort((a, b) => b.files.length - a.files.length || a.name.localeCompare(b.name));
}
