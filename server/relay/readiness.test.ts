import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ReadinessInputs, relayStatus } from './readiness.ts';

const up: ReadinessInputs = {
  mode: 'embedded',
  serverRunning: true,
  clientConnected: true,
  expectedPeers: 2,
  links: 2,
};

test('readiness table', () => {
  const rows: Array<[string, ReadinessInputs, string]> = [
    ['off', { ...up, mode: 'off' }, 'off'],
    ['embedded, all up', up, 'ok'],
    ['embedded, linked to one of two peers (the other may be gone)', { ...up, links: 1 }, 'ok'],
    ['embedded, server down', { ...up, serverRunning: false }, 'down'],
    ['embedded, client not connected', { ...up, clientConnected: false }, 'down'],
    ['embedded, refused by every peer', { ...up, links: 0 }, 'down'],
    ['embedded, alone', { ...up, expectedPeers: 0, links: 0 }, 'ok'],
    ['external: only the connection counts', { ...up, mode: 'external', serverRunning: false, links: 0 }, 'ok'],
    ['external, disconnected', { ...up, mode: 'external', clientConnected: false }, 'down'],
  ];
  for (const [name, inputs, expected] of rows) assert.equal(relayStatus(inputs).status, expected, name);
});

test('the reason names what is missing', () => {
  assert.match(relayStatus({ ...up, links: 0 }).reason, /no route or gateway to any of 2 other Machines/);
  assert.match(relayStatus({ ...up, serverRunning: false }).reason, /nats-server is not running/);
});
