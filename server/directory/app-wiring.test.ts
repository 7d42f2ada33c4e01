import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDnsServer } from '../../localfly/dns/server.ts';
import { Load } from '../../localfly/edge/load.ts';
import { startEdge } from '../../localfly/edge/server.ts';
import { Stats } from '../../localfly/edge/stats.ts';
import type { MachineView } from '../../localfly/types.ts';
import { randomMachineId, waitFor } from '../../test/support/directory-cluster.ts';
import { buildApp } from '../app.ts';
import { testConfig } from '../config.ts';

// The directory as buildApp wires it, on localfly's DNS. Loopback block of this file: 127.0.23.180-189,
// private port 23085.
const INTERNAL_PORT = 23085;

test('buildApp: the peer API opens only on listen, on its own port; Machines find each other; close announces', async (t) => {
  const machines = [
    { id: randomMachineId(), region: 'ams', address: '127.0.23.180', started: true },
    { id: randomMachineId(), region: 'dfw', address: '127.0.23.181', started: true },
  ];
  const dns = await startDnsServer({
    host: '127.0.0.1',
    port: 0,
    view: () => ({
      apps: [
        {
          name: 'wiring',
          machines: machines.map((m) => ({
            id: m.id,
            region: m.region,
            state: m.started ? ('started' as const) : ('stopped' as const),
            address: m.address,
            port: 8080,
            privateIp: `::ffff:${m.address}`,
            processGroup: 'app',
          })),
        },
      ],
      defaultRegion: 'ams',
    }),
  });
  t.after(() => dns.close());
  const apps = await Promise.all(
    machines.map((m) =>
      buildApp(
        testConfig({
          machine: { id: m.id, region: m.region, appName: 'wiring' },
          server: { host: m.address, port: 0 },
          directory: {
            host: m.address,
            internalPort: INTERNAL_PORT,
            dnsServer: dns.address,
            discoveryIntervalMs: 200,
          },
        }),
      ),
    ),
  );
  t.after(() => Promise.all(apps.map((app) => app.close())));
  const [a, b] = apps as [(typeof apps)[0], (typeof apps)[0]];

  // Built, not listening: no discovery has run, and the private API is not on the public app.
  assert.equal(a.directory.stats().rounds, 0);
  assert.equal((await a.inject('/internal/snapshot')).statusCode, 404);

  await Promise.all(
    apps.map(async (app, i) => {
      await app.listen({ host: machines[i]!.address, port: 0 });
      await app.directory.start();
    }),
  );
  await waitFor('a and b see each other', () => apps.every((app) => app.directory.view().machines.length === 2), 2000);
  assert.deepEqual(
    a.directory.view().machines.map((m) => [m.id, m.region]),
    [
      [machines[0]!.id, 'ams'],
      [machines[1]!.id, 'dfw'],
    ],
  );

  // Through the public port over real HTTP: /internal is unknown there, /api/streams is the directory.
  const publicPort = (a.server.address() as { port: number }).port;
  const internal = await fetch(`http://127.0.23.180:${publicPort}/internal/snapshot`);
  assert.equal(internal.status, 404);
  const list = await fetch(`http://127.0.23.180:${publicPort}/api/streams`);
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys((await list.json()) as object).sort(), ['machines', 'stale', 'streams']);

  // Through localfly's edge (Fly's proxy stand-in), which only knows the public port: /internal is 404.
  const views = (): MachineView[] =>
    machines.map((m, i) => ({
      id: m.id,
      region: m.region,
      state: m.started ? 'started' : 'stopped',
      address: m.address,
      port: (apps[i]!.server.address() as { port: number }).port,
      privateIp: `::ffff:${m.address}`,
      processGroup: 'app',
    }));
  const edge = await startEdge({
    region: 'ams',
    port: 0,
    load: new Load(),
    stats: new Stats(['ams']),
    autoStartTimeoutMs: 1000,
    upstreams: {
      app: 'wiring',
      machines: views,
      start: async () => {
        throw new Error('no auto start here');
      },
    },
  });
  t.after(() => edge.close());
  const viaEdge = await fetch(`${edge.url}/internal/snapshot`);
  assert.equal(viaEdge.status, 404);
  assert.doesNotMatch(await viaEdge.text(), /bootId/, 'no snapshot leaks out');
  const viaEdgeToB = await fetch(`${edge.url}/internal/snapshot`, {
    headers: { 'fly-force-instance-id': machines[1]!.id },
  });
  assert.equal(viaEdgeToB.status, 404);
  const listViaEdge = await fetch(`${edge.url}/api/streams`);
  assert.equal(listViaEdge.status, 200);
  assert.equal(((await listViaEdge.json()) as { machines: unknown[] }).machines.length, 2);

  // b stops: it leaves DNS as localfly would, after its close pushed an empty snapshot.
  await b.close();
  machines[1]!.started = false;
  await waitFor('b gone from a', () => a.directory.view().machines.length === 1, 3 * 200 + 500);
  assert.equal(a.directory.machineKnown(machines[1]!.id), false);
});
