import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import { killSettings, MAX_KILL_TIMEOUT_MS } from './kill-settings.ts';

test("the repository's fly.toml: SIGTERM, 15 s", () => {
  const toml = parse(readFileSync(new URL('../../fly.toml', import.meta.url), 'utf8'));
  assert.deepEqual(killSettings(toml), { killSignal: 'SIGTERM', killTimeoutMs: 15_000 });
});

test('kill_signal and kill_timeout: absent, the forms Fly takes, the 300 s cap, and refusals', () => {
  const rows: Array<[string, Record<string, unknown>, unknown]> = [
    ['neither', {}, {}],
    ['a signal', { kill_signal: 'SIGINT' }, { killSignal: 'SIGINT' }],
    ['whole seconds', { kill_timeout: 20 }, { killTimeoutMs: 20_000 }],
    ['a duration in s', { kill_timeout: '5s' }, { killTimeoutMs: 5000 }],
    ['a duration in ms', { kill_timeout: '750ms' }, { killTimeoutMs: 750 }],
    ['a duration in m', { kill_timeout: '2m' }, { killTimeoutMs: 120_000 }],
    ['at the cap', { kill_timeout: 300 }, { killTimeoutMs: MAX_KILL_TIMEOUT_MS }],
    ['over the cap', { kill_timeout: 301 }, { killTimeoutMs: MAX_KILL_TIMEOUT_MS }],
  ];
  for (const [what, toml, expected] of rows) assert.deepEqual(killSettings(toml), expected, what);
  for (const bad of [
    { kill_signal: 'SIGHUP' },
    { kill_signal: 15 },
    { kill_timeout: '5 seconds' },
    { kill_timeout: -1 },
  ])
    assert.throws(() => killSettings(bad), /kill_(signal|timeout)/, JSON.stringify(bad));
});
