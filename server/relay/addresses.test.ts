import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authUrl, bindHosts, hostPort, redactUrl } from './addresses.ts';

test('bind addresses: loopback or HOST for clients, the private address for peers, never a wildcard', () => {
  const rows: Array<[string, string | null, { local: string; peer: string | null }]> = [
    // Fly: HOST is ::, FLY_PRIVATE_IP the 6PN address.
    ['::', 'fdaa:0:1:a7b:1::2', { local: '127.0.0.1', peer: 'fdaa:0:1:a7b:1::2' }],
    // localfly loopback mode: HOST is the Machine's own address, FLY_PRIVATE_IP its mapped form.
    ['127.0.0.3', '::ffff:127.0.0.3', { local: '127.0.0.3', peer: '127.0.0.3' }],
    // Off Fly: no private address, so no peer listener.
    ['::', null, { local: '127.0.0.1', peer: null }],
    ['0.0.0.0', null, { local: '127.0.0.1', peer: null }],
    ['127.0.0.1', 'not-an-ip', { local: '127.0.0.1', peer: null }],
    ['127.0.0.1', '::', { local: '127.0.0.1', peer: null }],
    ['fdaa::5', 'fdaa::5', { local: 'fdaa::5', peer: 'fdaa::5' }],
  ];
  for (const [host, privateIp, expected] of rows) assert.deepEqual(bindHosts(host, privateIp), expected, host);
});

test('host:port brackets IPv6 only', () => {
  assert.equal(hostPort('127.0.0.2', 4222), '127.0.0.2:4222');
  assert.equal(hostPort('fdaa::2', 6222), '[fdaa::2]:6222');
});

test('route and gateway URLs carry the credentials; log copies do not', () => {
  const route = authUrl('nats-route', 'relay', 's3cret-s3cret-s3cret', 'fdaa::3', 6222);
  assert.equal(route, 'nats-route://relay:s3cret-s3cret-s3cret@[fdaa::3]:6222');
  assert.equal(redactUrl(route), 'nats-route://[redacted]@[fdaa::3]:6222');
  assert.equal(
    redactUrl('nats://a:b@one:4222,nats://two:4222,tls://c@three:4222'),
    'nats://[redacted]@one:4222,nats://two:4222,tls://[redacted]@three:4222',
  );
});
