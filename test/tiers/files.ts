import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root (this file sits two folders below it). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Folders that hold no test of ours: dependencies, build output, generated reports and caches. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage', 'test-results', 'playwright-report', '.git']);

export type Tier = 'unit' | 'slow';

/** Which tier a test file belongs to; anything that is not a `*.test.ts` belongs to none. */
export function tierOf(path: string): Tier | null {
  if (path.endsWith('.slow.test.ts')) return 'slow';
  if (path.endsWith('.test.ts')) return 'unit';
  return null;
}

/** Every `*.test.ts` under the repository, as sorted paths relative to `root`. */
export function testFiles(root: string = REPO_ROOT): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name));
      } else if (tierOf(entry.name) !== null) {
        found.push(relative(root, join(dir, entry.name)));
      }
    }
  };
  walk(root);
  return found.sort();
}

/** The test files of one tier. */
export function tierFiles(tier: Tier, root: string = REPO_ROOT): string[] {
  return testFiles(root).filter((path) => tierOf(path) === tier);
}
