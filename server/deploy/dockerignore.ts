/**
 * `.dockerignore` as Docker reads it (moby's patternmatcher): one pattern a line, `#` comments,
 * `!` re-includes, patterns are relative to the context root (a leading `/` changes nothing, and a
 * bare name matches only at the root, unlike .gitignore), `*` and `?` stay within one path segment,
 * `**` spans any number of segments, the last matching line wins, and a pattern that matches a
 * directory matches everything under it.
 */

export interface IgnoreRule {
  pattern: string;
  negate: boolean;
  regex: RegExp;
}

function escapeRegex(ch: string): string {
  return /[.+^${}()|\\]/.test(ch) ? `\\${ch}` : ch;
}

/** Collapses `//`, `./` and trailing `/` the way Go's filepath.Clean does for these patterns. */
function clean(pattern: string): string {
  const parts: string[] = [];
  for (const part of pattern.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        // `**` at the end matches everything below; elsewhere it matches zero or more directories.
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\' && i + 1 < pattern.length) {
      re += escapeRegex(pattern[++i]!);
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) throw new Error(`.dockerignore: unterminated [ in ${JSON.stringify(pattern)}`);
      re += pattern.slice(i, end + 1).replace(/^\[!/, '[^');
      i = end;
    } else {
      re += escapeRegex(ch);
    }
  }
  return new RegExp(`${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    const pattern = clean(line);
    if (pattern === '') continue;
    rules.push({ pattern, negate, regex: compile(pattern) });
  }
  return rules;
}

/** Whether `path` (relative to the context root, `/`-separated) is left out of the build context. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = clean(path).split('/');
  let ignored = false;
  for (const rule of rules) {
    // An exclusion can only change a path that is ignored so far, an inclusion one that is not.
    if (rule.negate !== ignored) continue;
    let match = rule.regex.test(parts.join('/'));
    for (let i = 1; !match && i < parts.length; i++) match = rule.regex.test(parts.slice(0, i).join('/'));
    if (match) ignored = !rule.negate;
  }
  return ignored;
}
