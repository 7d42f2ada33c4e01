import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Cluster, type LogEvent, type MachineInfo, startCluster } from '../../localfly/cluster.ts';
import { randomAddressBase, repoRoot } from '../../localfly/fixtures/support.ts';
import { loopbackAddress } from '../../localfly/machines/addresses.ts';
import { reservePort } from '../../localfly/machines/ports.ts';
import type { DirectoryView } from '../../shared/directory-api.ts';

/**
 * Test and benchmark support (not used by the server): replaycast on a localfly cluster of its own
 * (own loopback block, OS-picked edge/DNS/control ports) with the embedded NATS engine on its default
 * ports, the same on every Machine, and small readers for a Machine's NATS and directory.
 */

export const NATS_CLIENT_PORT = 4222;
export const NATS_MONITOR_PORT = 8222;

/** A port number free on every one of these addresses (the private ports are the same on every Machine). */
export async function portFreeOn(addresses: string[]): Promise<number> {
  for (;;) {
    const port = await reservePort(addresses[0]!, 0, 'probe');
    const free = await Promise.all(
      addresses.slice(1).map((a) =>
        reservePort(a, port, 'probe').then(
          () => true,
          () => false,
        ),
      ),
    );
    if (free.every(Boolean)) return port;
  }
}

export interface NatsCluster {
  cluster: Cluster;
  /** Every line any Machine printed, parsed when it is pino JSON. */
  logs: Array<{ machine: string; line: Record<string, unknown> }>;
  byRegion(region: string): MachineInfo[];
}

/**
 * Starts `regions` (e.g. `ams:1,dfw:2`) running the real server, with RELAY_SECRET as a localfly secret.
 * `command` replaces the Machine command (a test gives one Machine another secret that way).
 */
export async function startNatsCluster(
  regions: string,
  opts: { env?: Record<string, string>; command?: (base: string) => string[]; spare?: number } = {},
): Promise<NatsCluster> {
  const base = randomAddressBase();
  // Room for Machines added later.
  const addresses = Array.from({ length: 6 + (opts.spare ?? 0) }, (_, i) => loopbackAddress(base, i));
  const logs: NatsCluster['logs'] = [];
  const onLog = (event: LogEvent) => {
    if (event.source !== 'machine') return;
    try {
      logs.push({ machine: event.machine.id, line: JSON.parse(event.line) as Record<string, unknown> });
    } catch {
      logs.push({ machine: event.machine.id, line: { msg: event.line } });
    }
  };
  const cluster = await startCluster({
    command: opts.command?.(base) ?? [process.execPath, '--import', 'tsx', 'server/main.ts'],
    regions,
    cwd: repoRoot,
    env: {
      INTERNAL_PORT: String(await portFreeOn(addresses)),
      METRICS_PORT: String(await portFreeOn(addresses)),
      DISCOVERY_INTERVAL_MS: '1000',
      LOG_LEVEL: 'info',
      ...opts.env,
    },
    secrets: ['RELAY_SECRET'],
    dnsPort: 0,
    edgePort: 0,
    controlPort: 0,
    machinePort: 0,
    addressBase: base,
    startTimeoutMs: 60_000,
    onLog,
  });
  return {
    cluster,
    logs,
    byRegion: (region) => cluster.machines().filter((m) => m.region === region && m.state === 'started'),
  };
}

/** GET a Machine's NATS monitoring endpoint (`/varz`, `/routez`, `/gatewayz`). */
export async function monitor<T = Record<string, unknown>>(m: MachineInfo, path: string): Promise<T> {
  const res = await fetch(`http://${m.address}:${NATS_MONITOR_PORT}${path}`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as T;
}

export async function routeCount(m: MachineInfo): Promise<number> {
  return (await monitor<{ num_routes: number }>(m, '/routez')).num_routes;
}

export interface Gatewayz {
  outbound_gateways: Record<string, { connection?: { out_msgs: number } }>;
  inbound_gateways: Record<string, unknown[]>;
}

/** The Machine's directory, read from the Machine itself. */
export async function directoryOf(m: MachineInfo): Promise<DirectoryView> {
  const res = await fetch(`http://${m.address}:${m.port}/api/streams`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as DirectoryView;
}

/** What `viewer`'s directory says about `target`'s relay readiness. */
export async function relayOf(viewer: MachineInfo, target: MachineInfo = viewer): Promise<string | undefined> {
  return (await directoryOf(viewer)).machines.find((x) => x.id === target.id)?.relay;
}

/** A NATS client on the Machine's own embedded server. */
export function natsOn(m: MachineInfo): Promise<NatsConnection> {
  return connect({ servers: `nats://${m.address}:${NATS_CLIENT_PORT}`, ignoreClusterUpdates: true });
}

/** The nats-server child of a Machine's app process (Linux /proc). */
export function natsPidOf(m: MachineInfo): number | undefined {
  if (m.pid === null) return undefined;
  const children = readFileSync(`/proc/${m.pid}/task/${m.pid}/children`, 'utf8').trim().split(/\s+/);
  return children
    .map(Number)
    .filter((pid) => pid > 0)
    .find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nats-server';
      } catch {
        return false;
      }
    });
}
