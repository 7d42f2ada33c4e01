import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BinaryLookup,
  chooseMode,
  DEBIAN_NATS_SERVER,
  findNatsServer,
  type ModeInputs,
  modeLine,
} from './mode.ts';

const found: BinaryLookup = { found: true, path: '/usr/sbin/nats-server' };
const missing: BinaryLookup = { found: false, reason: 'no nats-server on PATH nor at /usr/sbin/nats-server' };
const fly: ModeInputs = {
  natsUrl: null,
  natsServerBin: null,
  onFly: true,
  relaySecret: 'a'.repeat(32),
  peerHost: 'fdaa::2',
};

test('mode table: NATS_URL, then the binary, then what clustering needs', () => {
  const rows: Array<[string, ModeInputs, BinaryLookup, string, RegExp?]> = [
    ['NATS_URL wins over a binary', { ...fly, natsUrl: 'nats://nats.internal:4222' }, found, 'external'],
    ['NATS_URL needs no binary', { ...fly, natsUrl: 'nats://x:4222' }, missing, 'external'],
    ['turned off', { ...fly, natsServerBin: 'off' }, found, 'off', /NATS_SERVER_BIN=off/],
    ['no binary', fly, missing, 'off', /apt-get install nats-server/],
    ['on Fly with everything', fly, found, 'embedded clustered'],
    [
      'off Fly: standalone, no secret needed',
      { ...fly, onFly: false, relaySecret: null },
      found,
      'embedded standalone',
    ],
    ['on Fly without a secret', { ...fly, relaySecret: null }, found, 'off', /RELAY_SECRET is not set/],
    ['on Fly without a private address', { ...fly, peerHost: null }, found, 'off', /FLY_PRIVATE_IP/],
  ];
  for (const [name, inputs, lookup, kind, reason] of rows) {
    const mode = chooseMode(inputs, () => lookup);
    const got = mode.kind === 'embedded' ? `embedded ${mode.clustered ? 'clustered' : 'standalone'}` : mode.kind;
    assert.equal(got, kind, name);
    if (reason !== undefined) assert.match(mode.kind === 'off' ? mode.reason : '', reason, name);
  }
});

test('the binary is looked up only when it decides something', () => {
  let asked = 0;
  chooseMode({ ...fly, natsUrl: 'nats://x:4222' }, () => {
    asked++;
    return found;
  });
  assert.equal(asked, 0);
});

test('binary lookup: NATS_SERVER_BIN must exist; else PATH in order; else Debian', () => {
  const exists = (paths: string[]) => (p: string) => paths.includes(p);
  assert.deepEqual(findNatsServer('/opt/nats', '/usr/bin', exists(['/opt/nats'])), { found: true, path: '/opt/nats' });
  assert.deepEqual(findNatsServer('/opt/nats', '/usr/bin', exists(['/usr/bin/nats-server'])), {
    found: false,
    reason: 'NATS_SERVER_BIN=/opt/nats is not an executable file',
  });
  assert.deepEqual(findNatsServer(null, '/a:/b', exists(['/b/nats-server', '/a/other'])), {
    found: true,
    path: '/b/nats-server',
  });
  assert.deepEqual(findNatsServer(null, undefined, exists([DEBIAN_NATS_SERVER])), {
    found: true,
    path: DEBIAN_NATS_SERVER,
  });
  assert.equal(findNatsServer(null, '/a', exists([])).found, false);
});

test('the start-up line says the mode and never prints NATS_URL credentials', () => {
  assert.equal(
    modeLine({ kind: 'external', url: 'nats://app:pw@nats.internal:4222' }),
    'nats: external cluster at nats://[redacted]@nats.internal:4222 (NATS_URL); no nats-server started here',
  );
  assert.match(modeLine({ kind: 'off', reason: 'r' }), /^nats: off \(r\)/);
  assert.match(modeLine({ kind: 'embedded', bin: '/x', clustered: false }), /standalone/);
});
