import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config.ts';
import { embeddedSettings } from './settings.ts';

const config = { ...loadConfig({}).relay, secret: 's'.repeat(16) };
const self = { id: '286533db064e58', region: 'dfw' };

test('clustered: client and monitoring local, routes and gateways on the private address, all four ports tried', () => {
  const { settings, ports } = embeddedSettings(config, self, { local: '127.0.0.1', peer: 'fdaa::3' }, true);
  assert.deepEqual(settings.cluster, {
    region: 'dfw',
    host: 'fdaa::3',
    clusterPort: 6222,
    gatewayPort: 7222,
    secret: 's'.repeat(16),
  });
  assert.equal(settings.name, '286533db064e58');
  assert.deepEqual(
    ports.map((p) => `${p.variable}=${p.host}:${p.port}`),
    [
      'NATS_CLIENT_PORT=127.0.0.1:4222',
      'NATS_MONITOR_PORT=127.0.0.1:8222',
      'NATS_CLUSTER_PORT=fdaa::3:6222',
      'NATS_GATEWAY_PORT=fdaa::3:7222',
    ],
  );
});

test('standalone, or anything missing for a cluster: no cluster, two ports', () => {
  const hosts = { local: '127.0.0.1', peer: 'fdaa::3' };
  const rows: Array<[string, Parameters<typeof embeddedSettings>]> = [
    ['not clustered', [config, self, hosts, false]],
    ['no private address', [config, self, { local: '127.0.0.1', peer: null }, true]],
    ['no secret', [{ ...config, secret: null }, self, hosts, true]],
    ['no region', [config, { ...self, region: null }, hosts, true]],
  ];
  for (const [name, args] of rows) {
    const { settings, ports } = embeddedSettings(...args);
    assert.equal(settings.cluster, null, name);
    assert.equal(ports.length, 2, name);
  }
  assert.equal(
    embeddedSettings(config, { id: null, region: null }, { local: '127.0.0.1', peer: null }, false).settings.name,
    'local',
  );
});
