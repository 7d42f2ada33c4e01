// Runs one test tier: `run.ts unit|slow [node --test options]`. The unit tier is bundled once with esbuild and run
// by plain `node --test`, a process per group of files from one folder: under tsx, a process per file paid the
// loader's hooks on each of the hundreds of modules it imported (TypeBox alone is ~700), which cost more CPU than
// the tests themselves (figures in README's Testing section). The slow tier starts whole processes and clusters, so
// a loader more per file hardly counts: it stays on tsx.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTests } from './bundle.ts';
import { REPO_ROOT, tierFiles } from './files.ts';
import { groupTests } from './groups.ts';
import { orderGroups, parseTimings } from './timings.ts';

/** Test processes at once per tier; the tests mostly wait on sockets and timers, so a little over the 2 cores pays. */
const CONCURRENCY = { unit: 4, slow: 4 };
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache');
const BUNDLE_DIR = join(CACHE_DIR, 'replaycast-tests');
const TIMINGS_FILE = join(CACHE_DIR, 'replaycast-test-timings.json');

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const [tier, ...options] = process.argv.slice(2);
  if (tier !== 'unit' && tier !== 'slow') {
    console.error('usage: run.ts unit|slow [node --test options]');
    return 2;
  }
  let args: string[];
  if (tier === 'unit') {
    rmSync(BUNDLE_DIR, { recursive: true, force: true });
    const groups = orderGroups(groupTests(tierFiles(tier)), parseTimings(readOrNull(TIMINGS_FILE)));
    const bundled = await bundleTests(groups, BUNDLE_DIR);
    args = [
      '--enable-source-maps',
      '--test',
      `--test-concurrency=${CONCURRENCY[tier]}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${bundled.reporter}`,
      `--test-reporter-destination=${TIMINGS_FILE}`,
      ...options,
      ...bundled.groups,
    ];
  } else {
    args = [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${CONCURRENCY[tier]}`,
      '--test-reporter=spec',
      ...options,
      ...tierFiles(tier),
    ];
  }
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 0 : 1))));
}

process.exitCode = await main();
