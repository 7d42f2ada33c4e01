import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startDnsServer } from '../../localfly/dns/server.ts';
import { buildApp } from '../../server/app.ts';
import { type ConfigOverrides, testConfig } from '../../server/config.ts';
import { peerToken } from '../../server/streams/tokens.ts';
import { randomMachineId } from './directory-cluster.ts';

/** One whole app (every plugin, as `server/main.ts` builds it) standing for a Machine. */
export interface AppNode {
  id: string;
  region: string;
  address: string;
  app: FastifyInstance;
  /** `http://<address>:<port>` of its public port. */
  url: string;
  /** Listed in `.internal` DNS (a stopping or crashed Machine is not). */
  started: boolean;
}

export interface AppClusterOptions {
  /** One loopback address per Machine; a block no other test file uses. */
  addresses: readonly string[];
  regions: readonly string[];
  /** The private port, the same on every Machine (as on Fly). */
  internalPort: number;
  appName: string;
  /** Overrides for every Machine's config (STREAM_SECRET, limits). */
  overrides?: ConfigOverrides;
  logStream?: { write(line: string): void };
}

/**
 * Whole apps as Machines of one app in this process, each on its own loopback address, finding each
 * other through localfly's DNS server (FLY_DNS_SERVER), as on Fly. Closed after the test.
 */
export async function startAppCluster(t: TestContext, opts: AppClusterOptions): Promise<AppNode[]> {
  const nodes: AppNode[] = [];
  const dns = await startDnsServer({
    host: '127.0.0.1',
    port: 0,
    view: () => ({
      apps: [
        {
          name: opts.appName,
          machines: nodes.map((n) => ({
            id: n.id,
            region: n.region,
            state: n.started ? ('started' as const) : ('stopped' as const),
            address: n.address,
            port: 8080,
            privateIp: `::ffff:${n.address}`,
            processGroup: 'app',
          })),
        },
      ],
      defaultRegion: opts.regions[0]!,
    }),
  });
  t.after(() => dns.close());
  const { overrides = {} } = opts;
  for (const [i, address] of opts.addresses.entries()) {
    const id = randomMachineId();
    const region = opts.regions[i % opts.regions.length]!;
    const app = await buildApp(
      testConfig({
        ...overrides,
        machine: { id, region, appName: opts.appName },
        server: { host: address, port: 0, ...overrides.server },
        directory: {
          host: address,
          internalPort: opts.internalPort,
          dnsServer: dns.address,
          // As loadConfig derives it from STREAM_SECRET.
          internalToken: peerToken(null, overrides.streams?.streamSecret ?? null),
          ...overrides.directory,
        },
      }),
      { prettyLogs: false, ...(opts.logStream !== undefined ? { logStream: opts.logStream } : {}) },
    );
    nodes.push({ id, region, address, app, url: '', started: true });
  }
  t.after(() => Promise.all(nodes.map((n) => n.app.close())));
  for (const node of nodes) {
    await node.app.listen({ host: node.address, port: 0 });
    node.url = `http://${node.address}:${(node.app.server.address() as AddressInfo).port}`;
  }
  return nodes;
}
