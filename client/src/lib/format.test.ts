import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBitrate, formatUptime, machineLabel, plural } from './format.ts';

test('formatUptime', () => {
  const table: Array<[number, string]> = [
    [0, '0:00'],
    [999, '0:00'],
    [7_000, '0:07'],
    [754_000, '12:34'],
    [3_600_000, '1:00:00'],
    [3_723_000, '1:02:03'],
    [-5_000, '0:00'],
  ];
  for (const [elapsed, expected] of table)
    assert.equal(formatUptime(1_000_000, 1_000_000 + elapsed), expected, String(elapsed));
});

test('formatBitrate', () => {
  assert.equal(formatBitrate(850_000), '850 kbit/s');
  assert.equal(formatBitrate(999_400), '999 kbit/s');
  assert.equal(formatBitrate(1_000_000), '1.0 Mbit/s');
  assert.equal(formatBitrate(1_250_000), '1.3 Mbit/s');
  assert.equal(formatBitrate(-1), '0 kbit/s');
  assert.equal(formatBitrate(Number.NaN), '0 kbit/s');
});

test('plural and machineLabel', () => {
  assert.equal(plural(1, 'viewer', 'viewers'), '1 viewer');
  assert.equal(plural(0, 'viewer', 'viewers'), '0 viewers');
  assert.equal(machineLabel('286533db064e58'), '286533db064e58');
  assert.equal(machineLabel(null), 'local (not on Fly)');
});
