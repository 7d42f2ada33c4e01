import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Sources the built client depends on; a change in any of them makes the build stale. */
const CLIENT_SOURCES = ['client', 'shared'];
const BUILT_PAGE = join('dist', 'client', 'index.html');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist/client is missing or older than a client or shared source file. */
export function clientBuildIsStale(root: string): boolean {
  const page = join(root, BUILT_PAGE);
  if (!existsSync(page)) return true;
  const built = statSync(page).mtimeMs;
  return CLIENT_SOURCES.some((dir) => existsSync(join(root, dir)) && newestMtimeMs(join(root, dir)) > built);
}

/** Builds the client with the project's own script when needed, so the Machines serve current pages. */
export function ensureClientBuilt(root: string): void {
  if (!clientBuildIsStale(root)) return;
  execFileSync('npm', ['run', '--silent', 'build:client'], { cwd: root, stdio: 'inherit' });
}

/**
 * Compiles the server into dist/ with the project's own script, every run (a few seconds): the Machines
 * then run what the image ships, and start in about a third of the time tsx needs to load the sources,
 * which matters when a replay or a restart waits for a Machine to listen.
 */
export function buildServer(root: string): void {
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: root, stdio: 'inherit' });
}
