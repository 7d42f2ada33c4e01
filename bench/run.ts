import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Runs bench/<name>/run.ts for every name given, or for every benchmark folder. */
const here = import.meta.dirname;
const all = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'run.ts')))
  .map((d) => d.name)
  .sort();
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark ${JSON.stringify(name)}; known: ${all.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, name, 'run.ts')], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
