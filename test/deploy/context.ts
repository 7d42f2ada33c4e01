import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dockerignore } from './dockerignore.ts';

/**
 * Every file (and symlink) of the build context that `.dockerignore` lets through, as sorted
 * `/`-separated paths relative to `root`. Ignored directories are not entered unless a `!` rule
 * could bring something inside them back.
 */
export function contextFiles(root: string, rules: Dockerignore): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const ignored = rules.ignores(path);
      if (entry.isDirectory()) {
        if (!ignored || rules.hasExceptions) walk(path);
      } else if (!ignored && (entry.isFile() || entry.isSymbolicLink())) {
        out.push(path);
      }
    }
  };
  walk('');
  return out.sort();
}
