import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

/** Bounds a start under tsx, which loads every module of the app and its libraries through its hooks. */
const START_TIMEOUT_MS = 60_000;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`the server closes gracefully on ${signal} and exits 0`, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: '0',
        INTERNAL_PORT: '0',
        METRICS_PORT: '0',
        FLY_MACHINE_ID: '0123456789abcd',
        FLY_REGION: 'ams',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (err += chunk));
    // Listening, or the child died first, or it hung: each ends the wait.
    const outcome = await new Promise<'listening' | 'exited' | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), START_TIMEOUT_MS);
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Server listening')) {
          clearTimeout(timer);
          resolve('listening');
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve('exited');
      });
    });
    if (outcome !== 'listening') child.kill('SIGKILL');
    assert.equal(outcome, 'listening', `server did not start: ${err}`);
    const line = JSON.parse(out.split('\n')[0]!);
    assert.equal(line.machine, '0123456789abcd', 'every log line carries the machine id');
    assert.equal(line.region, 'ams');
    child.kill(signal);
    const [code] = await exited;
    assert.equal(code, 0);
    assert.match(out, /shutting down/);
  });
}
