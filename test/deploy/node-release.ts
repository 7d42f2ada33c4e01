import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the `node` package puts its binary inside the folder it is installed into. */
const BINARY = join('node_modules', 'node', 'bin', 'node');

function versionOf(binary: string, env: Record<string, string>): string {
  return execFileSync(binary, ['--version'], { env, encoding: 'utf8' }).trim();
}

/**
 * The Node binary of release `version`, installed from the npm registry's `node` package (which
 * fetches the platform's binary package from the same registry) into `cacheDir/node-<version>`,
 * once. Kept outside the project's node_modules/.bin: a `node` there would take over every npm
 * script. Returns the binary's path after checking it reports that version.
 */
export function installNode(version: string, cacheDir: string, env: Record<string, string>, timeoutMs: number): string {
  const dir = join(cacheDir, `node-${version}`);
  const binary = join(dir, BINARY);
  if (existsSync(binary) && versionOf(binary, env) === `v${version}`) return binary;

  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  // A package.json of its own, so npm never mistakes an enclosing project for the install target.
  writeFileSync(join(partial, 'package.json'), '{ "private": true }\n');
  execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node@${version}`], {
    cwd: partial,
    env,
    stdio: 'pipe',
    timeout: timeoutMs,
  });
  const got = versionOf(join(partial, BINARY), env);
  if (got !== `v${version}`) throw new Error(`node@${version} from npm reports ${got}`);
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(partial, dir);
  } catch {
    // Another run installed it at the same moment: use theirs.
    rmSync(partial, { recursive: true, force: true });
  }
  return binary;
}
