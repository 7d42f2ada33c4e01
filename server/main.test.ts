import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`the server closes gracefully on ${signal} and exits 0`, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', INTERNAL_PORT: '0', METRICS_PORT: '0', FLY_MACHINE_ID: '0123456789abcd', FLY_REGION: 'ams' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let out = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Server listening')) resolve();
      });
    });
    const line = JSON.parse(out.split('\n')[0]!);
    assert.equal(line.machine, '0123456789abcd', 'every log line carries the machine id');
    assert.equal(line.region, 'ams');
    child.kill(signal);
    const [code] = await once(child, 'exit');
    clearTimeout(deadline);
    assert.equal(code, 0);
    assert.match(out, /shutting down/);
  });
}
