import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { durationMs, machineEnv, REHEARSAL_MACHINE_ID, REPO_ROOT, readFlyToml } from './fly-toml.ts';

/** fly.toml's kill_signal and kill_timeout, against the real server process a Machine runs. */
const toml = readFlyToml();
const env = machineEnv(toml);
/** Keeps DNS lookups on loopback (nothing listens there, so discovery just fails fast). */
const DEAD_DNS = '127.0.0.1:25053';

test('kill_signal makes the server drain and exit 0 within kill_timeout', async () => {
  const signal = toml.kill_signal as NodeJS.Signals;
  assert.ok(signal);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...env,
      HOST: '127.0.0.1',
      PORT: '0',
      INTERNAL_PORT: '0',
      METRICS_PORT: '0',
      FLY_DNS_SERVER: DEAD_DNS,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000 + durationMs(toml.kill_timeout));
  let out = '';
  child.stdout.setEncoding('utf8');
  const listening = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Server listening')) resolve();
    });
  });
  await Promise.race([listening, exited]);
  assert.match(out, /Server listening/, 'the server started');
  const sentAt = Date.now();
  child.kill(signal);
  const [code] = await exited;
  clearTimeout(killer);
  assert.equal(code, 0, out);
  assert.ok(Date.now() - sentAt < durationMs(toml.kill_timeout));
  const shutdownLine = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((l) => l.msg === 'shutting down');
  assert.equal(shutdownLine?.signal, signal);
  assert.equal(shutdownLine?.machine, REHEARSAL_MACHINE_ID);
});
