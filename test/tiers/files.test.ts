import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, testFiles, tierFiles, tierOf } from './files.ts';

test('tierOf: slow tests by their suffix, every other *.test.ts is a unit test, anything else none', () => {
  const table: Array<[string, ReturnType<typeof tierOf>]> = [
    ['server/app.test.ts', 'unit'],
    ['server/main.slow.test.ts', 'slow'],
    ['bench/fanout/rounds.test.ts', 'unit'],
    ['e2e/watch.spec.ts', null],
    ['server/app.ts', null],
    ['server/test.ts', null],
    ['server/app.test.tsx', null],
  ];
  for (const [path, tier] of table) assert.equal(tierOf(path), tier, path);
});

test('testFiles finds tests at any depth and skips dependencies, build output and hidden folders', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'replaycast-tiers-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const files = [
    'a.test.ts',
    'bench/fanout/rounds.test.ts',
    'server/main.slow.test.ts',
    'server/app.ts',
    'e2e/watch.spec.ts',
    'node_modules/pkg/x.test.ts',
    'dist/server/app.test.ts',
    '.git/y.test.ts',
    'test-results/z.test.ts',
  ];
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  assert.deepEqual(testFiles(root), ['a.test.ts', 'bench/fanout/rounds.test.ts', 'server/main.slow.test.ts']);
  assert.deepEqual(tierFiles('unit', root), ['a.test.ts', 'bench/fanout/rounds.test.ts']);
  assert.deepEqual(tierFiles('slow', root), ['server/main.slow.test.ts']);
});

test('every *.test.ts of the repository runs in a tier, and npm test runs every tier', () => {
  const all = testFiles();
  assert.ok(all.includes('bench/fanout/rounds.test.ts'));
  assert.ok(all.includes('test/tiers/files.test.ts'));
  assert.deepEqual([...tierFiles('unit'), ...tierFiles('slow')].sort(), all);

  const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.equal(scripts['test:unit'], 'tsx test/tiers/run.ts unit');
  assert.equal(scripts['test:slow'], 'tsx test/tiers/run.ts slow');
  const steps = scripts.test.split('&&').map((step) => step.trim());
  for (const tier of ['npm run test:unit', 'npm run test:slow', 'npm run test:e2e']) {
    assert.ok(steps.includes(tier), `npm test runs ${tier}`);
  }
});
