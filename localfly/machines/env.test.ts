import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRunnable } from './env.ts';

test('isRunnable: a bare name is looked up on PATH (relative entries from cwd), a path from cwd', () => {
  const present = new Set(['/usr/bin/node', '/repo/node_modules/.bin/tsx', '/repo/scripts/run.sh', '/opt/app']);
  const canRun = (p: string) => present.has(p);
  const rows: Array<[string, string | undefined, boolean]> = [
    ['node', '/usr/local/bin:/usr/bin', true],
    ['tsx', 'node_modules/.bin:/usr/bin', true],
    ['tsx', '/usr/bin', false],
    ['node', undefined, false],
    ['node', '', false],
    ['scripts/run.sh', '/usr/bin', true],
    ['/opt/app', '', true],
    ['/opt/missing', '/opt', false],
    ['localfly-no-such-command', '/usr/local/bin:/usr/bin', false],
  ];
  for (const [file, path, expected] of rows)
    assert.equal(isRunnable(file, path, '/repo', canRun), expected, `${file} ${path}`);
});
