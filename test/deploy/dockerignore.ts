import balenaDockerignore from '@balena/dockerignore';

// A CommonJS module typed as an ES default export: its function is also its own `.default`.
const dockerignore = balenaDockerignore.default;

/**
 * `.dockerignore` as Docker reads it, by @balena/dockerignore (a port of moby's patternmatcher):
 * patterns are relative to the context root, a bare name matches only at the root, `*` and `?`
 * stay within one segment, `**` spans segments, the last matching line wins, `!` re-includes, and a
 * pattern that matches a directory matches everything under it.
 */
export interface Dockerignore {
  /** Whether `path` (relative to the context root, `/`-separated) is left out of the build context. */
  ignores(path: string): boolean;
  /** Some line re-includes (`!`): an ignored directory may still hold files that are sent. */
  hasExceptions: boolean;
}

/** The lines that are patterns, `!` kept; blank lines and `#` comments are not. */
function patternLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export function parseDockerignore(text: string): Dockerignore {
  const lines = patternLines(text);
  // The library compiles a pattern when it first matches with it; try each once so a bad one fails
  // here, as `docker build` refuses it, instead of midway through a walk.
  for (const line of lines) {
    try {
      dockerignore({ ignorecase: false }).add(line.replace(/^!\s*/, '')).ignores('probe');
    } catch (err) {
      throw new Error(`.dockerignore: bad pattern ${JSON.stringify(line)}: ${(err as Error).message}`);
    }
  }
  // Case-sensitive, as on Linux where the image is built (the library's default is to ignore case).
  const matcher = dockerignore({ ignorecase: false }).add(text);
  return { ignores: (path) => matcher.ignores(path), hasExceptions: lines.some((line) => line.startsWith('!')) };
}

export function isIgnored(rules: Dockerignore, path: string): boolean {
  return rules.ignores(path);
}
