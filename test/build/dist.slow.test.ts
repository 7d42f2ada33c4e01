import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

/**
 * What ships is what tsconfig.build.json compiles. Test support lives in test/ and tests beside their code,
 * so the build config needs no per-file exclusions, and nothing in the build output is a fake, a harness or
 * a deploy check. The check compiles with the same config into a temporary folder (the build script's only
 * other step copies the demo video).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const TEST_SUPPORT = /(^|\/)(test|e2e|bench|localfly)\/|\.test\.|fake|harness|test-client|testing\.|deploy\//;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

test('the production build holds the server and shared code and no test support', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'replaycast-dist-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', out], {
    cwd: ROOT,
  });
  const files = (await filesUnder(out)).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes('server/main.js'), 'the process entry is built');
  assert.ok(files.includes('shared/protocol.js'), 'shared code is built');
  assert.deepEqual(
    files.filter((f) => TEST_SUPPORT.test(f)),
    [],
    'no test, fake, harness or deploy check in the build',
  );
  assert.deepEqual(
    files.filter((f) => !f.startsWith('server/') && !f.startsWith('shared/')),
    [],
    'only server/ and shared/ ship',
  );
});

test('tsconfig.build.json selects by folder and glob, with no list of excluded files', async () => {
  const config = JSON.parse(await readFile(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
    include: string[];
    exclude: string[];
  };
  assert.deepEqual(config.include, ['server/**/*.ts', 'shared/**/*.ts']);
  for (const entry of config.exclude) {
    assert.ok(entry.includes('*') || ['node_modules', 'dist'].includes(entry), `exclude names a file: ${entry}`);
  }
});

test('no test support is left in the shipped folders', async () => {
  const shipped = [...(await filesUnder(join(ROOT, 'server'))), ...(await filesUnder(join(ROOT, 'shared')))];
  assert.deepEqual(
    shipped.filter((f) => /fake|harness|test-client|(^|\/)testing\.ts$/.test(f)),
    [],
  );
});
