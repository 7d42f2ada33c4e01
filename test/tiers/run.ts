// Runs one test tier: `run.ts unit|slow [node --test options]`. The unit tier is bundled once with esbuild and run
// by plain `node --test`: under tsx every test process paid the loader's hooks on each of the hundreds of modules it
// imports (TypeBox alone is ~700), which cost more CPU than the tests themselves (measured in README's Testing
// section). The slow tier starts whole processes and clusters, so one loader more per file hardly counts: it stays
// on tsx.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTests } from './bundle.ts';
import { REPO_ROOT, tierFiles } from './files.ts';

/** Test files run at once per tier; they mostly wait on sockets and timers, so a little over the 2 cores pays. */
const CONCURRENCY = { unit: 4, slow: 4 };
const BUNDLE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'replaycast-tests');

async function main(): Promise<number> {
  const [tier, ...options] = process.argv.slice(2);
  if (tier !== 'unit' && tier !== 'slow') {
    console.error('usage: run.ts unit|slow [node --test options]');
    return 2;
  }
  const sources = tierFiles(tier);
  let loader: string[] = ['--import', 'tsx'];
  let files = sources;
  if (tier === 'unit') {
    rmSync(BUNDLE_DIR, { recursive: true, force: true });
    files = await bundleTests(sources, BUNDLE_DIR);
    loader = ['--enable-source-maps'];
  }
  const args = [...loader, '--test', `--test-concurrency=${CONCURRENCY[tier]}`, '--test-reporter=spec', ...options];
  const child = spawn(process.execPath, [...args, ...files], { cwd: REPO_ROOT, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 0 : 1))));
}

process.exitCode = await main();
