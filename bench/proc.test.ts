import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { coresBusyPct, coreTimes, load1, taskTimes } from './proc.ts';

test('this process: CPU time grows with work; a process that does not exist reads as null', () => {
  const before = taskTimes(process.pid);
  assert.ok(before !== null && before.runNs > 0 && before.waitNs >= 0);
  // Spin until this process has used 30 ms of CPU (by its own account, so a busy machine cannot shorten it).
  const start = process.cpuUsage();
  while (process.cpuUsage(start).user + process.cpuUsage(start).system < 30_000) {
    // spin
  }
  const after = taskTimes(process.pid)!;
  assert.ok(after.runNs - before.runNs >= 20e6, `ran ${(after.runNs - before.runNs) / 1e6} ms`);
  assert.equal(taskTimes(2 ** 22 + 1), null);
});

test('cores: one reading per core, busy at most total; the busy share of a span is 0-100 % per core', () => {
  const a = coreTimes()!;
  assert.ok(a.total.length >= availableParallelism(), 'every core this process may use is listed');
  for (const [i, total] of a.total.entries()) assert.ok(a.busy[i]! <= total);
  const b = { busy: a.busy.map((v) => v + 50), total: a.total.map((v) => v + 100) };
  assert.equal(coresBusyPct(a, b, [0]), 50);
  assert.equal(
    coresBusyPct(
      a,
      b,
      a.total.map((_, i) => i),
    ),
    50 * a.total.length,
  );
  assert.equal(coresBusyPct(null, b, [0]), 0);
  assert.ok(load1() >= 0);
});
