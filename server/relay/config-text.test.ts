import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireNatsServer } from '../../test/support/nats.ts';
import { natsServerConfig, type ServerSettings } from './config-text.ts';
import type { Topology } from './topology.ts';

const SECRET = 'test-secret-0123456789';
const standalone: ServerSettings = {
  name: 'local',
  localHost: '127.0.0.1',
  clientPort: 4222,
  monitorPort: 8222,
  maxPayloadBytes: 2 * 1024 * 1024,
  writeDeadlineMs: 2000,
  cluster: null,
};
const clustered: ServerSettings = {
  ...standalone,
  name: '286533db064e58',
  cluster: { region: 'dfw', host: 'fdaa:0:1::3', clusterPort: 6222, gatewayPort: 7222, secret: SECRET },
};
const topology: Topology = {
  routes: ['fdaa:0:1::4'],
  gateways: [
    { region: 'ams', addresses: ['fdaa:0:1::2'] },
    { region: 'syd', addresses: ['10.1.1.1', '10.1.1.2'] },
  ],
};

test('standalone: client and monitoring on the local address only, no cluster or gateway', () => {
  const text = natsServerConfig(standalone, topology);
  assert.match(text, /^host: "127\.0\.0\.1"$/m);
  assert.match(text, /^port: 4222$/m);
  assert.match(text, /^http: "127\.0\.0\.1:8222"$/m);
  assert.match(text, /^max_payload: 2097152$/m);
  assert.match(text, /^write_deadline: "2000ms"$/m);
  assert.doesNotMatch(text, /cluster|gateway|routes/);
});

test('clustered: named after the region, authenticated routes and gateways to IP literals', () => {
  const text = natsServerConfig(clustered, topology);
  assert.match(text, /^server_name: "286533db064e58"$/m);
  assert.match(text, /cluster \{\n {2}name: "dfw"\n {2}host: "fdaa:0:1::3"\n {2}port: 6222\n/);
  assert.match(text, /gateway \{\n {2}name: "dfw"\n {2}host: "fdaa:0:1::3"\n {2}port: 7222\n/);
  assert.equal(text.match(/authorization \{ user: "relay", password: "test-secret-0123456789" \}/g)?.length, 2);
  assert.match(text, /routes: \["nats-route:\/\/relay:test-secret-0123456789@\[fdaa:0:1::4\]:6222"\]/);
  assert.match(text, /\{ name: "ams", urls: \["nats:\/\/relay:test-secret-0123456789@\[fdaa:0:1::2\]:7222"\] \}/);
  assert.match(
    text,
    /\{ name: "syd", urls: \["nats:\/\/relay:[^@]+@10\.1\.1\.1:7222", "nats:\/\/relay:[^@]+@10\.1\.1\.2:7222"\] \}/,
  );
  assert.match(text, /no_advertise: true/);
});

test('an empty topology still listens for routes and gateways (peers may dial in later)', () => {
  const text = natsServerConfig(clustered, { routes: [], gateways: [] });
  assert.match(text, /routes: \[\]/);
  assert.match(text, /gateways: \[\n {2}\]/);
});

test('nats-server accepts every generated file (nats-server -t)', (t) => {
  const bin = requireNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'replaycast-nats-conf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: Array<[string, string]> = [
    ['standalone', natsServerConfig(standalone, topology)],
    ['clustered', natsServerConfig(clustered, topology)],
    ['clustered, nobody else', natsServerConfig(clustered, { routes: [], gateways: [] })],
    ['max payload at its ceiling', natsServerConfig({ ...clustered, maxPayloadBytes: 64 * 1024 * 1024 }, topology)],
  ];
  for (const [name, text] of cases) {
    const file = join(dir, 'nats.conf');
    writeFileSync(file, text);
    const run = spawnSync(bin, ['-t', '-c', file], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${name}: ${run.stderr}${run.stdout}`);
  }
});
