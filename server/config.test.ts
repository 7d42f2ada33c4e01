import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ConfigError, loadConfig, MIN_CONNECTION_TIMEOUT_MS, testConfig } from './config.ts';

test('defaults off Fly', () => {
  const config = loadConfig({});
  assert.equal(config.machine.id, null);
  assert.equal(config.server.port, 8080);
  assert.equal(config.server.host, '::');
  assert.equal(config.directory.internalPort, 8081);
  assert.equal(config.routing.replayTimeoutMs, 5000);
  assert.equal(config.routing.maxReplayBodyBytes, 1024 * 1024);
  assert.equal(config.streams.drainTimeoutMs, config.server.shutdownTimeoutMs / 2);
});

test('per-client and refusal limits: defaults, and each variable read', () => {
  const { streams } = loadConfig({});
  assert.deepEqual(
    [
      streams.createStreamsPerMinute,
      streams.maxPendingStreams,
      streams.maxWatchSocketsPerClient,
      streams.wsMaxBadMessages,
      streams.wsBadMessageWindowMs,
      streams.publishStartTimeoutMs,
    ],
    [3, 10, 16, 10, 10_000, 15_000],
  );
  const set = loadConfig({
    CREATE_STREAMS_PER_MINUTE: '30',
    MAX_PENDING_STREAMS: '2',
    MAX_WATCH_SOCKETS_PER_CLIENT: '1',
    WS_MAX_BAD_MESSAGES: '4',
    WS_BAD_MESSAGE_WINDOW_MS: '100',
  }).streams;
  assert.deepEqual(
    [
      set.createStreamsPerMinute,
      set.maxPendingStreams,
      set.maxWatchSocketsPerClient,
      set.wsMaxBadMessages,
      set.wsBadMessageWindowMs,
    ],
    [30, 2, 1, 4, 100],
  );
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
    [config.machine.id, config.machine.region, config.machine.appName, config.server.port, config.server.host],
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
  ['MAX_SSE_PER_CLIENT', { MAX_SSE_PER_CLIENT: '0' }],
  ['MAX_SSE_PER_CLIENT', { MAX_SSE_PER_CLIENT: '1001' }],
  ['MAX_DIRECTORY_MACHINES', { MAX_DIRECTORY_MACHINES: '0' }],
  ['MAX_DIRECTORY_MACHINES', { MAX_DIRECTORY_MACHINES: '100001' }],
  ['PEER_CLOCK_SKEW_MS', { PEER_CLOCK_SKEW_MS: '3600001' }],
  ['MAX_STREAM_VIEWERS', { MAX_STREAM_VIEWERS: '0' }],
  ['MAX_STREAM_VIEWERS', { MAX_STREAM_VIEWERS: '9007199254740992' }],
  ['CREATE_STREAMS_PER_MINUTE', { CREATE_STREAMS_PER_MINUTE: '0' }],
  ['MAX_PENDING_STREAMS', { MAX_PENDING_STREAMS: '0' }],
  ['MAX_WATCH_SOCKETS_PER_CLIENT', { MAX_WATCH_SOCKETS_PER_CLIENT: 'many' }],
  ['WS_MAX_BAD_MESSAGES', { WS_MAX_BAD_MESSAGES: '0' }],
  ['WS_BAD_MESSAGE_WINDOW_MS', { WS_BAD_MESSAGE_WINDOW_MS: '99' }],
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
  ['RELAY_MODE', { RELAY_MODE: 'always' }],
  ['RELAY_OVERFLOW_VIEWERS', { RELAY_OVERFLOW_VIEWERS: '0' }],
  ['RELAY_LINGER_MS', { RELAY_LINGER_MS: '3600001' }],
  ['RELAY_JOIN_TIMEOUT_MS', { RELAY_JOIN_TIMEOUT_MS: '99' }],
  ['RELAY_HEARTBEAT_MS', { RELAY_HEARTBEAT_MS: '99' }],
  ['RELAY_CHAT_MAX_MESSAGES', { RELAY_CHAT_MAX_MESSAGES: '0' }],
  ['RELAY_HELD_CHAT_MAX', { RELAY_HELD_CHAT_MAX: '10001' }],
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
  assert.equal(loadConfig({ MAX_REPLAY_BODY_BYTES: '1048576' }).routing.maxReplayBodyBytes, 1048576);
  assert.equal(loadConfig({ MAX_REPLAY_BODY_BYTES: '1' }).routing.maxReplayBodyBytes, 1);
  assert.equal(loadConfig({ REPLAY_TIMEOUT_MS: '100' }).routing.replayTimeoutMs, 100);
  assert.equal(loadConfig({ REPLAY_TIMEOUT_MS: '60000' }).routing.replayTimeoutMs, 60000);
  assert.equal(loadConfig({ PORT: '65535' }).server.port, 65535);
});

test('relay settings: defaults, every mode, and limits accepted up to their edges', () => {
  const relayed = (env: Record<string, string>) => loadConfig(env).relayed;
  assert.deepEqual(relayed({}), {
    mode: 'overflow',
    overflowViewers: 800,
    lingerMs: 30_000,
    joinTimeoutMs: 3000,
    heartbeatMs: 5000,
    maxStreamViewers: 1_000_000,
    chatMaxMessages: 1000,
    heldChatMax: 20,
  });
  assert.equal(relayed({ MAX_STREAM_VIEWERS: '7' }).maxStreamViewers, 7, "the directory's limit, copied");
  assert.equal(loadConfig({ MAX_STREAM_VIEWERS: '7' }).directory.limits.maxViewersPerStream, 7);
  for (const mode of ['off', 'overflow', 'regional']) assert.equal(relayed({ RELAY_MODE: mode }).mode, mode);
  assert.equal(relayed({ RELAY_OVERFLOW_VIEWERS: '1' }).overflowViewers, 1);
  assert.equal(relayed({ RELAY_LINGER_MS: '0' }).lingerMs, 0);
  assert.equal(relayed({ RELAY_LINGER_MS: '3600000' }).lingerMs, 3_600_000);
  assert.equal(relayed({ RELAY_CHAT_MAX_MESSAGES: '1' }).chatMaxMessages, 1);
  assert.equal(
    relayed({ RELAY_HELD_CHAT_MAX: '0' }).heldChatMax,
    0,
    '0: nothing held, chat refused while the way is down',
  );
  assert.equal(relayed({ RELAY_HELD_CHAT_MAX: '10000' }).heldChatMax, 10_000);
});

test('NATS settings: defaults, and limits accepted up to their edges', () => {
  const relay = (env: Record<string, string>) => loadConfig(env).relay;
  const defaults = relay({});
  assert.deepEqual(
    [
      defaults.natsUrl,
      defaults.serverBin,
      defaults.secret,
      defaults.privateIp,
      defaults.clientPort,
      defaults.clusterPort,
      defaults.gatewayPort,
      defaults.monitorPort,
      defaults.maxPayloadBytes,
      defaults.writeDeadlineMs,
    ],
    [null, null, null, null, 4222, 6222, 7222, 8222, 2 * 1024 * 1024, 2000],
  );
  assert.equal(relay({ RELAY_SECRET: 'a'.repeat(16) }).secret, 'a'.repeat(16));
  assert.equal(relay({ RELAY_SECRET: 'A-z.0_9~'.repeat(32) }).secret?.length, 256);
  assert.equal(relay({ NATS_MAX_PAYLOAD_BYTES: '1024' }).maxPayloadBytes, 1024);
  assert.equal(relay({ NATS_MAX_PAYLOAD_BYTES: String(64 * 1024 * 1024) }).maxPayloadBytes, 64 * 1024 * 1024);
  assert.equal(relay({ NATS_WRITE_DEADLINE_MS: '100' }).writeDeadlineMs, 100);
  assert.equal(relay({ NATS_WRITE_DEADLINE_MS: '60000' }).writeDeadlineMs, 60000);
  assert.equal(relay({ NATS_URL: 'nats://a:4222,tls://u:p@b:4222' }).natsUrl, 'nats://a:4222,tls://u:p@b:4222');
  assert.equal(relay({ FLY_PRIVATE_IP: 'fdaa:0:1:a7b:1::2' }).privateIp, 'fdaa:0:1:a7b:1::2');
  assert.equal(relay({ NATS_SERVER_BIN: 'off' }).serverBin, 'off');
  // HOST and FLY_DNS_SERVER are copied into the group, as into the directory's.
  const shared = loadConfig({ HOST: '127.0.0.9', FLY_DNS_SERVER: '127.0.0.1:8053' });
  assert.deepEqual([shared.relay.host, shared.relay.dnsServer], ['127.0.0.9', '127.0.0.1:8053']);
  assert.equal(testConfig().relay.serverBin, 'off', 'tests start no nats-server unless they ask for one');
});

test('MAX_AUDIO_FRAME_BYTES: default 8 KiB, read at its edges (64 bytes, the socket limit), refused past them', () => {
  assert.equal(loadConfig({}).streams.maxAudioFrameBytes, 8192);
  assert.equal(loadConfig({ MAX_AUDIO_FRAME_BYTES: '64' }).streams.maxAudioFrameBytes, 64);
  assert.equal(loadConfig({ MAX_AUDIO_FRAME_BYTES: '1048576' }).streams.maxAudioFrameBytes, 1048576);
  for (const value of ['63', '1048577', 'lots']) {
    assert.throws(
      () => loadConfig({ MAX_AUDIO_FRAME_BYTES: value }),
      (err: unknown) => {
        return err instanceof ConfigError && err.message.includes('MAX_AUDIO_FRAME_BYTES');
      },
    );
  }
});

test('directory limits: defaults, each variable read at its edges, MAX_STREAMS bounds a peer snapshot', () => {
  const defaults = loadConfig({}).directory.limits;
  assert.deepEqual(
    [
      defaults.sseMaxFeedsPerClient,
      defaults.maxMachines,
      defaults.peerClockSkewMs,
      defaults.maxViewersPerStream,
      defaults.maxStreamsPerSnapshot,
    ],
    [8, 1000, 60_000, 1_000_000, 50],
  );
  const rows: [Record<string, string>, keyof ReturnType<typeof loadConfig>['directory']['limits'], number][] = [
    [{ MAX_SSE_PER_CLIENT: '1' }, 'sseMaxFeedsPerClient', 1],
    [{ MAX_SSE_PER_CLIENT: '1000' }, 'sseMaxFeedsPerClient', 1000],
    [{ MAX_DIRECTORY_MACHINES: '1' }, 'maxMachines', 1],
    [{ MAX_DIRECTORY_MACHINES: '100000' }, 'maxMachines', 100_000],
    [{ PEER_CLOCK_SKEW_MS: '0' }, 'peerClockSkewMs', 0],
    [{ PEER_CLOCK_SKEW_MS: '3600000' }, 'peerClockSkewMs', 3_600_000],
    [{ MAX_STREAM_VIEWERS: '1' }, 'maxViewersPerStream', 1],
    [{ MAX_STREAM_VIEWERS: '9007199254740991' }, 'maxViewersPerStream', Number.MAX_SAFE_INTEGER],
    [{ MAX_STREAMS: '7' }, 'maxStreamsPerSnapshot', 7],
  ];
  for (const [env, field, want] of rows)
    assert.equal(loadConfig(env).directory.limits[field], want, JSON.stringify(env));
});

test('REQUEST_TIMEOUT_MS and CONNECTION_TIMEOUT_MS: defaults, edges, and refusals', () => {
  const defaults = loadConfig({}).server;
  assert.equal(defaults.requestTimeoutMs, 30_000);
  assert.equal(defaults.connectionTimeoutMs, 60_000);
  assert.equal(loadConfig({ REQUEST_TIMEOUT_MS: '1000' }).server.requestTimeoutMs, 1000);
  assert.equal(loadConfig({ REQUEST_TIMEOUT_MS: '600000' }).server.requestTimeoutMs, 600_000);
  assert.equal(
    loadConfig({ CONNECTION_TIMEOUT_MS: String(MIN_CONNECTION_TIMEOUT_MS) }).server.connectionTimeoutMs,
    20_000,
  );
  const refused: Array<[string, string]> = [
    ['REQUEST_TIMEOUT_MS', '999'],
    ['REQUEST_TIMEOUT_MS', '600001'],
    ['REQUEST_TIMEOUT_MS', '30s'],
    // Shorter than the directory feed's 15 s heartbeat would cut healthy feeds.
    ['CONNECTION_TIMEOUT_MS', String(MIN_CONNECTION_TIMEOUT_MS - 1)],
  ];
  for (const [variable, value] of refused) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (err: unknown) => err instanceof ConfigError && err.variable === variable,
      `${variable}=${value}`,
    );
  }
});

test('ANY_MACHINE_PATHS is a comma list', () => {
  assert.deepEqual(loadConfig({ ANY_MACHINE_PATHS: '/healthz, /static/' }).routing.anyMachinePaths, [
    '/healthz',
    '/static/',
  ]);
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

test('STREAM_SECRET: unset is null, at least 32 characters, and a refusal never echoes it', () => {
  assert.equal(loadConfig({}).streams.streamSecret, null);
  const exact = 's'.repeat(32);
  assert.equal(loadConfig({ STREAM_SECRET: exact }).streams.streamSecret, exact);
  const short = `${'t'.repeat(30)}X`;
  assert.throws(
    () => loadConfig({ STREAM_SECRET: short }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.variable === 'STREAM_SECRET' &&
      /at least 32 characters/.test(err.message) &&
      !err.message.includes(short),
  );
});

test('INTERNAL_TOKEN: as given; unset, derived from STREAM_SECRET when that is set; else none', () => {
  const secret = 's'.repeat(32);
  assert.equal(loadConfig({}).directory.internalToken, null);
  assert.equal(loadConfig({ INTERNAL_TOKEN: 'given' }).directory.internalToken, 'given');
  assert.equal(loadConfig({ INTERNAL_TOKEN: 'given', STREAM_SECRET: secret }).directory.internalToken, 'given');
  const derived = loadConfig({ STREAM_SECRET: secret }).directory.internalToken;
  assert.match(derived ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(
    loadConfig({ STREAM_SECRET: secret }).directory.internalToken,
    derived,
    'every Machine derives the same',
  );
  assert.notEqual(loadConfig({ STREAM_SECRET: 't'.repeat(32) }).directory.internalToken, derived);
  assert.ok(!derived!.includes(secret) && derived !== loadConfig({ STREAM_SECRET: secret }).streams.streamSecret);
});
