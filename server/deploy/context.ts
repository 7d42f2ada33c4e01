import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isIgnored, type IgnoreRule } from './dockerignore.ts';

/**
 * Every file (and symlink) of the build context that `.dockerignore` lets through, as sorted
 * `/`-separated paths relative to `root`. Ignored directories are not entered unless a `!` rule
 * could bring something inside them back.
 */
export function contextFiles(root: string, rules: readonly IgnoreRule[]): string[] {
  const reincludes = rules.some((r) => r.negate);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const ignored = isIgnored(rules, path);
      if (entry.isDirectory()) {
        if (!ignored || reincludes) walk(path);
      } else if (!ignored && (entry.isFile() || entry.isSymbolicLink())) {
        out.push(path);
      }
    }
  };
  walk('');
  return out.sort();
}
