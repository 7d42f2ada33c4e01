import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { captureLog, ownAddressBlock, requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { RelayClient } from './client.ts';
import { natsServerConfig } from './config-text.ts';
import { DEFAULT_RELAY_LIMITS } from './limits.ts';
import { NatsSupervisor } from './supervisor.ts';

const limits = { ...DEFAULT_RELAY_LIMITS, clientReconnectWaitMs: 100, stopTimeoutMs: 500 };

async function server(t: import('node:test').TestContext, host: string): Promise<NatsSupervisor> {
  const s = new NatsSupervisor({
    bin: requireNatsServer(),
    log: pino({ level: 'silent' }),
    secrets: [],
    ports: [],
    limits,
  });
  t.after(() => s.stop());
  await s.start(
    natsServerConfig(
      {
        name: 'c',
        localHost: host,
        clientPort: 4222,
        monitorPort: 8222,
        maxPayloadBytes: 1 << 20,
        writeDeadlineMs: 2000,
        cluster: null,
      },
      { routes: [], gateways: [] },
    ),
  );
  return s;
}

test('client: retries until the server is up, follows a restart, logs once per outage, stops in bounded time', async (t) => {
  const host = ownAddressBlock()(0);
  const captured = captureLog();
  const changes: boolean[] = [];
  const client = new RelayClient({
    servers: [`nats://${host}:4222`],
    name: 'client-test',
    pinned: true,
    log: captured.log,
    limits,
    onChange: (connected) => changes.push(connected),
  });
  t.after(() => client.stop());
  client.start();
  // Nothing listens yet: a few failed attempts, one line.
  await waitFor('a failed attempt', () => captured.matching(/cannot connect yet/).length === 1, 10_000);
  const s = await server(t, host);
  await waitFor('connected', () => client.connected, 10_000);
  assert.equal(captured.matching(/cannot connect yet/).length, 1);

  process.kill(s.pid!, 'SIGKILL');
  await waitFor('disconnected', () => !client.connected, 10_000);
  await waitFor('reconnected to the restarted server', () => client.connected, 10_000);
  assert.deepEqual(changes, [true, false, true]);

  // The server goes for good: stop() must not wait for a reconnect that never comes.
  await s.stop();
  await waitFor('disconnected again', () => !client.connected, 10_000);
  const started = Date.now();
  await client.stop();
  assert.ok(Date.now() - started < limits.stopTimeoutMs + 1000, `stopped in ${Date.now() - started} ms`);
  assert.equal(client.connection, null);
});
