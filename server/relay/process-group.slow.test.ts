import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ownAddressBlock, requireNatsServer, waitFor } from '../../test/support/nats.ts';

// The app and its nats-server as processes: a fixture that supervises one server as the app does.

function startFixture(t: import('node:test').TestContext) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../../test/support/supervised-nats.ts', import.meta.url))],
    {
      env: { ...process.env, NATS_HOST: ownAddressBlock()(0) },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    },
  );
  const messages: Array<Record<string, unknown>> = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => messages.push(JSON.parse(line)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  });
  return { child, messages, exited };
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

test("a signal to the app's process group (Ctrl-C, a Machine stop) leaves nats-server for the app to stop last", async (t) => {
  requireNatsServer();
  const { child, messages, exited } = startFixture(t);
  const { natsPid } = await waitFor('nats running', () => messages.find((m) => 'natsPid' in m), 20_000);
  process.kill(-child.pid!, 'SIGINT');
  assert.equal(await exited, 0);
  assert.deepEqual(messages.at(-1), { aliveAtShutdown: true });
  await waitFor('nats-server gone', () => gone(natsPid as number), 5000);
});

test('nats-server never outlives the app, not even one killed with SIGKILL', async (t) => {
  requireNatsServer();
  const { child, messages, exited } = startFixture(t);
  const { natsPid } = await waitFor('nats running', () => messages.find((m) => 'natsPid' in m), 20_000);
  process.kill(child.pid!, 'SIGKILL');
  await exited;
  await waitFor('nats-server gone with its parent', () => gone(natsPid as number), 5000);
});
