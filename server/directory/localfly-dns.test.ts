import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import http from 'node:http';
import { test } from 'node:test';
import type { DnsApp } from '../../localfly/dns/answers.ts';
import { type DnsServer, startDnsServer } from '../../localfly/dns/server.ts';
import {
  Cluster,
  type ClusterDns,
  type ClusterNode,
  type DnsMachine,
  randomMachineId,
  waitFor,
} from '../../test/support/directory-cluster.ts';
import { streamId } from '../../test/support/stream-ids.ts';
import { SNAPSHOT_PATH } from './peer-api.ts';

// The directory against localfly's real `.internal` DNS server, read through Node's resolver exactly as
// in production (FLY_DNS_SERVER). Loopback block of this file: 127.0.23.100-149, private port 23084.
const PORT = 23084;
const block = (first: number, count: number) => Array.from({ length: count }, (_, i) => `127.0.23.${first + i}`);

/** localfly's DNS server holding the Machines the cluster publishes, plus any `extra` ones. */
class LocalflyDns implements ClusterDns {
  private apps = new Map<string, DnsMachine[]>();
  extra: DnsMachine[] = [];
  server: string | null = null;
  private running: DnsServer | null = null;

  async start(port = 0): Promise<void> {
    this.running = await startDnsServer({ host: '127.0.0.1', port, view: () => this.view() });
    this.server = this.running.address;
  }

  get port(): number {
    return this.running!.port;
  }

  async stop(): Promise<void> {
    await this.running?.close();
    this.running = null;
  }

  publish(appName: string, machines: readonly DnsMachine[]): void {
    this.apps.set(appName, [...machines]);
  }

  private view() {
    const apps: DnsApp[] = [...this.apps].map(([name, machines]) => ({
      name,
      machines: [...machines, ...this.extra].map((m) => ({
        id: m.id,
        region: m.region,
        state: 'started' as const,
        address: m.address,
        port: 8080,
        privateIp: `::ffff:${m.address}`,
        processGroup: 'app',
      })),
    }));
    return { apps, defaultRegion: 'ams' };
  }
}

async function setup(
  t: import('node:test').TestContext,
  addresses: string[],
  intervalMs: number,
  extra: DnsMachine[] = [],
) {
  const dns = new LocalflyDns();
  dns.extra = extra;
  await dns.start();
  const cluster = await Cluster.start({
    addresses,
    internalPort: PORT,
    discoveryIntervalMs: intervalMs,
    dns,
    limits: { peerTimeoutMs: 300 },
  });
  t.after(async () => {
    await cluster.close();
    await dns.stop();
  });
  return { dns, cluster, nodes: cluster.nodes as [ClusterNode, ClusterNode, ClusterNode, ...ClusterNode[]] };
}

test('localfly DNS: a stream started on one Machine is listed on every other; a killed Machine disappears', async (t) => {
  const intervalMs = 300;
  const { cluster, nodes } = await setup(t, block(100, 3), intervalMs);
  const [a, b, c] = nodes;
  const all = [a.id, b.id, c.id].sort();
  const ids = (node: ClusterNode) =>
    node.directory
      .view()
      .machines.map((m) => m.id)
      .sort();
  // Every Machine finds the others through DNS; a peer fetch that times out on a busy machine is retried
  // at the next discovery round, so this waits for convergence rather than reading the first round.
  await waitFor(
    'all Machines found through DNS',
    () => nodes.every((n) => ids(n).join() === all.join()),
    10 * intervalMs + 5000,
  );
  for (const node of nodes) assert.deepEqual(ids(node), all, 'all Machines found through DNS');

  b.source.start({ id: streamId('on-b'), title: 'from b' });
  await waitFor(
    'on-b listed on a and c',
    () =>
      a.directory.get(streamId('on-b'))?.machineId === b.id && c.directory.get(streamId('on-b'))?.machineId === b.id,
    1000,
  );

  await cluster.kill(b);
  await waitFor(
    'b gone from a and c',
    () =>
      [a, c].every((n) => n.directory.get(streamId('on-b')) === undefined && n.directory.view().machines.length === 2),
    3 * intervalMs + 500,
  );
  assert.equal(a.directory.machineKnown(b.id), false);
});

test('localfly DNS: a vms answer split across character-strings is joined before parsing', async (t) => {
  // 17 more Machines in DNS (nothing listens at their addresses) make the TXT answer exceed 255 bytes.
  const extra = Array.from({ length: 17 }, (_, i) => ({
    id: randomMachineId(),
    region: i % 2 === 0 ? 'ams' : 'syd',
    address: `127.0.23.${120 + i}`,
  }));
  const { dns, nodes } = await setup(t, block(110, 3), 60_000, extra);
  const resolver = new Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([dns.server!]);
  const records = await resolver.resolveTxt('vms.replaycast-test.internal');
  assert.equal(records.length, 1);
  assert.ok(records[0]!.length >= 2, `the answer really is split (${records[0]!.length} strings)`);

  const [a, b, c] = nodes;
  const listed = a.directory
    .stats()
    .peers.filter((p) => p.listed)
    .map((p) => p.id)
    .sort();
  assert.deepEqual(listed, [b.id, c.id, ...extra.map((e) => e.id)].sort());
  const syd = a.directory.stats().peers.find((p) => p.id === extra[1]!.id);
  assert.equal(syd?.region, 'syd');
  // The unreachable ones are listed but never shown; the real ones are (once a round reached them all).
  const shown = () =>
    a.directory
      .view()
      .machines.map((m) => m.id)
      .sort()
      .join();
  await waitFor('the real Machines shown', () => shown() === [a.id, b.id, c.id].sort().join(), 5000);
  assert.deepEqual(
    a.directory
      .view()
      .machines.map((m) => m.id)
      .sort(),
    [a.id, b.id, c.id].sort(),
  );
});

test('localfly DNS down: last directory kept and marked stale; back up: fresh again', async (t) => {
  const { dns, nodes } = await setup(t, block(140, 2), 200);
  const [a, b] = nodes;
  b.source.start({ id: streamId('survivor') });
  await waitFor('listed', () => a.directory.get(streamId('survivor')) !== undefined, 1000);
  const port = dns.port;
  await dns.stop();
  await waitFor('a stale', () => a.directory.stale, 200 + 3000);
  assert.equal(a.directory.get(streamId('survivor'))?.machineId, b.id, 'kept');
  assert.equal(a.directory.machineKnown(b.id), undefined);
  await dns.start(port);
  await waitFor('a fresh again', () => !a.directory.stale, 5000);
  assert.equal(a.directory.get(streamId('survivor'))?.machineId, b.id);
  assert.equal(a.directory.machineKnown(b.id), true);
});

test('localfly DNS: the peer API serves addresses of <app>.internal and refuses a stranger', async (t) => {
  const { nodes } = await setup(t, block(143, 2), 60_000);
  const [a, b] = nodes;
  const get = (from: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host: a.address, port: PORT, path: SNAPSHOT_PATH, localAddress: from }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
  assert.equal(await get(b.address), 200);
  assert.equal(await get('127.0.23.149'), 403);
  assert.equal(await get('127.0.0.1'), 403, 'the default source address of loopback calls is not a Machine');
});
