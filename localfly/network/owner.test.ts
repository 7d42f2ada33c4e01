import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { currentOwner, ownerAlive, readOwner, startTimeFromStat, writeOwner } from './owner.ts';

test('the start time is field 22 of /proc/<pid>/stat, whatever the command name holds', () => {
  const tail = 'S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10 18446744073709551615';
  const rows: Array<[string, string | null]> = [
    [`42 (node) ${tail}`, '123456'],
    [`42 (a b) c) (d) ${tail}`, '123456'],
    ['42 (node) S 1 1', null],
    ['', null],
  ];
  for (const [stat, start] of rows) assert.equal(startTimeFromStat(stat), start, stat);
});

test('an owner record is alive while its process runs, and not once it is gone or its pid is reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'localfly-owner-'));
  const file = join(dir, 'run', 'owner.json');
  writeOwner(file, currentOwner());
  assert.deepEqual(readOwner(file), currentOwner());
  assert.ok(ownerAlive(readOwner(file)));
  assert.ok(!ownerAlive({ ...currentOwner(), startTime: '1' }), 'same pid, another process');

  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  const owner = { pid, startTime: currentOwner().startTime };
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(!ownerAlive(owner), 'a process that exited');

  writeFileSync(file, 'not json');
  assert.equal(readOwner(file), null);
  assert.ok(!ownerAlive(readOwner(file)));
  assert.equal(readOwner(join(dir, 'missing.json')), null);
});
