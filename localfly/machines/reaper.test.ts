import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAlive, until } from '../fixtures/support.ts';
import { Reaper } from './reaper.ts';

function detachedSleeper(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

test('when its pipe closes, the reaper kills the groups still listed, and only those', async (t) => {
  const listed = detachedSleeper();
  const removed = detachedSleeper();
  t.after(() => {
    for (const pid of [listed, removed]) if (isAlive(pid)) process.kill(-pid, 'SIGKILL');
  });
  const reaper = new Reaper();
  reaper.add(listed);
  reaper.add(removed);
  reaper.remove(removed);
  reaper.close();
  await until(() => !isAlive(listed), 5000, 'the listed group to be killed');
  await until(() => !isAlive(reaper.pid!), 5000, 'the reaper to exit');
  assert.ok(isAlive(removed), 'a group removed from the list is left alone');
});

test('when its pipe closes, the reaper runs the undo commands still listed, newest first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'localfly-reaper-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'log');
  const append = (word: string) => ['sh', '-c', `echo ${word} >> ${log}`];
  const reaper = new Reaper();
  reaper.addUndo(append('first'));
  reaper.addUndo(append('second'));
  reaper.addUndo(append('undone-already'));
  reaper.removeUndo(append('undone-already'));
  reaper.close();
  await until(() => !isAlive(reaper.pid!), 5000, 'the reaper to exit');
  assert.equal(readFileSync(log, 'utf8'), 'second\nfirst\n');
});
