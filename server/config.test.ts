import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('defaults off Fly', () => {
  const config = loadConfig({});
  assert.equal(config.machineId, null);
  assert.equal(config.port, 8080);
  assert.equal(config.host, '::');
  assert.equal(config.internalPort, 8081);
  assert.equal(config.replayTimeoutMs, 5000);
  assert.equal(config.maxReplayBodyBytes, 1024 * 1024);
});

test('Fly variables are read', () => {
  const config = loadConfig({
    FLY_MACHINE_ID: '286533db064e58',
    FLY_REGION: 'dfw',
    FLY_APP_NAME: 'replaycast',
    PORT: '3000',
    HOST: '127.0.0.2',
  });
  assert.deepEqual(
    [config.machineId, config.region, config.appName, config.port, config.host],
    ['286533db064e58', 'dfw', 'replaycast', 3000, '127.0.0.2'],
  );
});

const bad: Array<[string, Record<string, string>]> = [
  ['FLY_MACHINE_ID', { FLY_MACHINE_ID: '286533DB064E58' }],
  ['FLY_MACHINE_ID', { FLY_MACHINE_ID: '286533db' }],
  ['FLY_MACHINE_ID', { FLY_MACHINE_ID: '286533db064e58\n' }],
  ['PORT', { PORT: 'eighty' }],
  ['PORT', { PORT: '65536' }],
  ['PORT', { PORT: '-1' }],
  ['INTERNAL_PORT', { INTERNAL_PORT: '80a' }],
  ['FLY_REGION', { FLY_REGION: 'AMS!' }],
  ['FLY_DNS_SERVER', { FLY_DNS_SERVER: 'dns.example:53' }],
  ['DISCOVERY_INTERVAL_MS', { DISCOVERY_INTERVAL_MS: '5' }],
  ['MAX_REPLAY_BODY_BYTES', { MAX_REPLAY_BODY_BYTES: '1048577' }],
  ['MAX_REPLAY_BODY_BYTES', { MAX_REPLAY_BODY_BYTES: '0' }],
  ['REPLAY_TIMEOUT_MS', { REPLAY_TIMEOUT_MS: '99' }],
  ['REPLAY_TIMEOUT_MS', { REPLAY_TIMEOUT_MS: '60001' }],
  ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ['RELAY_SECRET', { RELAY_SECRET: 'a'.repeat(15) }],
  ['RELAY_SECRET', { RELAY_SECRET: 'a'.repeat(257) }],
  ['RELAY_SECRET', { RELAY_SECRET: `${'a'.repeat(20)}@host` }],
  ['RELAY_SECRET', { RELAY_SECRET: `${'a'.repeat(20)}"` }],
  ['NATS_URL', { NATS_URL: 'http://nats:4222' }],
  ['NATS_URL', { NATS_URL: 'nats://a:4222, nats://b:4222' }],
  ['NATS_CLIENT_PORT', { NATS_CLIENT_PORT: '0' }],
  ['NATS_GATEWAY_PORT', { NATS_GATEWAY_PORT: '65536' }],
  ['NATS_MAX_PAYLOAD_BYTES', { NATS_MAX_PAYLOAD_BYTES: '1023' }],
  ['NATS_MAX_PAYLOAD_BYTES', { NATS_MAX_PAYLOAD_BYTES: String(64 * 1024 * 1024 + 1) }],
  ['NATS_WRITE_DEADLINE_MS', { NATS_WRITE_DEADLINE_MS: '99' }],
  ['NATS_WRITE_DEADLINE_MS', { NATS_WRITE_DEADLINE_MS: '60001' }],
  ['FLY_PRIVATE_IP', { FLY_PRIVATE_IP: 'fdaa::2; rm' }],
];
for (const [variable, env] of bad) {
  test(`a malformed ${variable} is a ConfigError naming it (${JSON.stringify(Object.values(env)[0])})`, () => {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) =>
        err instanceof ConfigError && err.variable === variable && err.message.startsWith(`${variable}:`),
    );
  });
}

test('limits are accepted up to their edges', () => {
  assert.equal(loadConfig({ MAX_REPLAY_BODY_BYTES: '1048576' }).maxReplayBodyBytes, 1048576);
  assert.equal(loadConfig({ MAX_REPLAY_BODY_BYTES: '1' }).maxReplayBodyBytes, 1);
  assert.equal(loadConfig({ REPLAY_TIMEOUT_MS: '100' }).replayTimeoutMs, 100);
  assert.equal(loadConfig({ REPLAY_TIMEOUT_MS: '60000' }).replayTimeoutMs, 60000);
  assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
});

test('NATS settings: defaults, and limits accepted up to their edges', () => {
  const defaults = loadConfig({});
  assert.deepEqual(
    [
      defaults.natsUrl,
      defaults.natsServerBin,
      defaults.relaySecret,
      defaults.natsClientPort,
      defaults.natsClusterPort,
      defaults.natsGatewayPort,
      defaults.natsMonitorPort,
      defaults.natsMaxPayloadBytes,
      defaults.natsWriteDeadlineMs,
    ],
    [null, null, null, 4222, 6222, 7222, 8222, 2 * 1024 * 1024, 2000],
  );
  assert.equal(loadConfig({ RELAY_SECRET: 'a'.repeat(16) }).relaySecret, 'a'.repeat(16));
  assert.equal(loadConfig({ RELAY_SECRET: 'A-z.0_9~'.repeat(32) }).relaySecret?.length, 256);
  assert.equal(loadConfig({ NATS_MAX_PAYLOAD_BYTES: '1024' }).natsMaxPayloadBytes, 1024);
  assert.equal(loadConfig({ NATS_MAX_PAYLOAD_BYTES: String(64 * 1024 * 1024) }).natsMaxPayloadBytes, 64 * 1024 * 1024);
  assert.equal(loadConfig({ NATS_WRITE_DEADLINE_MS: '100' }).natsWriteDeadlineMs, 100);
  assert.equal(loadConfig({ NATS_WRITE_DEADLINE_MS: '60000' }).natsWriteDeadlineMs, 60000);
  assert.equal(loadConfig({ NATS_URL: 'nats://a:4222,tls://u:p@b:4222' }).natsUrl, 'nats://a:4222,tls://u:p@b:4222');
  assert.equal(loadConfig({ FLY_PRIVATE_IP: 'fdaa:0:1:a7b:1::2' }).privateIp, 'fdaa:0:1:a7b:1::2');
  assert.equal(loadConfig({ NATS_SERVER_BIN: 'off' }).natsServerBin, 'off');
});

test('ANY_MACHINE_PATHS is a comma list', () => {
  assert.deepEqual(loadConfig({ ANY_MACHINE_PATHS: '/healthz, /static/' }).anyMachinePaths, ['/healthz', '/static/']);
});

test('the server refuses to start on bad config: one line naming the variable, exit code 1', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, FLY_MACHINE_ID: 'not-an-id' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /FLY_MACHINE_ID/);
});
