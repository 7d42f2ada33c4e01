import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { contextFiles } from './context.ts';
import { parseDockerignore } from './dockerignore.ts';

test('contextFiles lists what .dockerignore lets through, entering ignored folders only for re-includes', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'replaycast-context-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const file of [
    'package.json',
    'server/app.ts',
    'server/app.test.ts',
    'node_modules/x/index.js',
    'client/node_modules/y.js',
    'dist/a.js',
    'dist/keep.txt',
    '.git/HEAD',
  ]) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), 'x');
  }
  assert.deepEqual(contextFiles(root, parseDockerignore('**/node_modules\ndist\n.git\n**/*.test.ts')), [
    'package.json',
    'server/app.ts',
  ]);
  assert.deepEqual(contextFiles(root, parseDockerignore('**/node_modules\ndist\n!dist/keep.txt\n.git')), [
    'dist/keep.txt',
    'package.json',
    'server/app.test.ts',
    'server/app.ts',
  ]);
  assert.equal(contextFiles(root, parseDockerignore('')).length, 8);
});
