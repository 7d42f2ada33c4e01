import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Cluster, type LogEvent, type MachineInfo, startCluster } from '../../localfly/cluster.ts';
import { randomAddressBase, repoRoot } from '../../localfly/fixtures/support.ts';
import { hostPort, loopbackAddress } from '../../localfly/machines/addresses.ts';
import { reservePort } from '../../localfly/machines/ports.ts';
import type { NetworkChoice } from '../../localfly/network/support.ts';
import type { DirectoryView } from '../../shared/directory-api.ts';

/**
 * replaycast on a localfly cluster of its own (OS-picked edge/DNS/control ports; own loopback block in
 * loopback mode) with the embedded NATS engine on its default ports, the same on every Machine, and
 * small readers for a Machine's NATS and directory.
 */

export const NATS_CLIENT_PORT = 4222;
export const NATS_MONITOR_PORT = 8222;

const AGENT = fileURLToPath(new URL('../../localfly/network/agent.mjs', import.meta.url));

/** A port number free on every one of these addresses (the private ports are the same on every Machine). */
async function portFreeOn(addresses: string[]): Promise<number> {
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

/**
 * Reaches a port a Machine binds on its own loopback (nats-server's client and monitoring ports): in
 * loopback mode that is the Machine's address; in namespace mode a port agent in its namespace (the
 * one localfly's edges use, see agent.mjs) behind a TCP listener on this host's 127.0.0.1.
 */
class LoopbackPorts {
  private readonly dir = mkdtempSync(join(tmpdir(), 'replaycast-nats-agents-'));
  private readonly open = new Map<string, Promise<{ host: string; port: number }>>();
  private readonly agents: number[] = [];
  private readonly servers: net.Server[] = [];

  reach(m: MachineInfo, port: number): Promise<{ host: string; port: number }> {
    if (m.netns === null) return Promise.resolve({ host: m.address, port });
    const key = `${m.id}:${port}`;
    let found = this.open.get(key);
    if (found === undefined) {
      found = this.forward(m.netns, `${this.dir}/${m.id}-${port}.sock`, port);
      this.open.set(key, found);
    }
    return found;
  }

  private async forward(netns: string, socket: string, port: number): Promise<{ host: string; port: number }> {
    const agent = spawn('ip', ['netns', 'exec', netns, process.execPath, AGENT, socket, String(port)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.agents.push(agent.pid!);
    const lines = readline.createInterface({ input: agent.stdout! });
    const ready = await Promise.race([
      once(lines, 'line').then(([line]) => line === 'ready'),
      once(agent, 'exit').then(() => false),
    ]);
    lines.close();
    if (!ready) throw new Error(`the port agent in ${netns} did not start`);
    const server = net.createServer((client) => {
      const upstream = net.connect(socket);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const end of [client, upstream]) {
        end.on('error', close);
        end.on('close', close);
      }
      // The agent answers one byte (1: connected), then the port's own bytes, which may share its chunk:
      // nats-server speaks first (INFO), so they are passed on before the two sockets are joined.
      upstream.once('data', (chunk: Buffer) => {
        if (chunk[0] !== 1) return close();
        if (chunk.length > 1) client.write(chunk.subarray(1));
        upstream.pipe(client);
        client.pipe(upstream);
      });
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
  }

  async close(): Promise<void> {
    for (const pid of this.agents) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone with its namespace.
      }
    }
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface NatsCluster {
  cluster: Cluster;
  /** Every line any Machine printed, parsed when it is pino JSON. */
  logs: Array<{ machine: string; line: Record<string, unknown> }>;
  byRegion(region: string): MachineInfo[];
  /** GET a Machine's NATS monitoring endpoint (`/varz`, `/routez`, `/gatewayz`). */
  monitor<T = Record<string, unknown>>(m: MachineInfo, path: string): Promise<T>;
  routeCount(m: MachineInfo): Promise<number>;
  /** A NATS client on the Machine's own embedded server. */
  natsOn(m: MachineInfo): Promise<NatsConnection>;
  /** Stops the cluster and what reached into it. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** localfly's network mode; default `auto` (namespaces when this process may create them). */
  network?: NetworkChoice;
  env?: Record<string, string>;
  /** Replaces the Machine command (a test gives one Machine another secret that way). */
  command?: string[];
}

/** Starts `regions` (e.g. `ams:1,dfw:2`) running the real server, with RELAY_SECRET as a localfly secret. */
export async function startNatsCluster(regions: string, opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const base = randomAddressBase();
  const logs: NatsCluster['logs'] = [];
  const onLog = (event: LogEvent) => {
    if (event.source !== 'machine') return;
    try {
      logs.push({ machine: event.machine.id, line: JSON.parse(event.line) as Record<string, unknown> });
    } catch {
      logs.push({ machine: event.machine.id, line: { msg: event.line } });
    }
  };
  // Loopback mode: private ports free on every address of the block, Machines added later included.
  const block = Array.from({ length: 8 }, (_, i) => loopbackAddress(base, i));
  const loopbackPorts: Record<string, string> =
    opts.network === 'loopback'
      ? {
          INTERNAL_PORT: String(await portFreeOn(block)),
          METRICS_PORT: String(await portFreeOn(block)),
        }
      : {};
  const cluster = await startCluster({
    command: opts.command ?? [process.execPath, '--import', 'tsx', 'server/main.ts'],
    regions,
    cwd: repoRoot,
    network: opts.network ?? 'auto',
    env: { ...loopbackPorts, DISCOVERY_INTERVAL_MS: '1000', LOG_LEVEL: 'info', ...opts.env },
    secrets: ['RELAY_SECRET'],
    dnsPort: 0,
    edgePort: 0,
    controlPort: 0,
    machinePort: 0,
    addressBase: base,
    startTimeoutMs: 60_000,
    onLog,
  });
  const ports = new LoopbackPorts();
  const monitor = async <T>(m: MachineInfo, path: string): Promise<T> => {
    const at = await ports.reach(m, NATS_MONITOR_PORT);
    const res = await fetch(`http://${hostPort(at.host, at.port)}${path}`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as T;
  };
  return {
    cluster,
    logs,
    byRegion: (region) => cluster.machines().filter((m) => m.region === region && m.state === 'started'),
    monitor,
    routeCount: async (m) => (await monitor<{ num_routes: number }>(m, '/routez')).num_routes,
    natsOn: async (m) => {
      const at = await ports.reach(m, NATS_CLIENT_PORT);
      return connect({ servers: `nats://${hostPort(at.host, at.port)}`, ignoreClusterUpdates: true });
    },
    stop: async () => {
      await cluster.stop();
      await ports.close();
    },
  };
}

export interface Gatewayz {
  outbound_gateways: Record<string, { connection?: { out_msgs: number } }>;
  inbound_gateways: Record<string, unknown[]>;
}

/** The Machine's directory, read from the Machine itself. */
export async function directoryOf(m: MachineInfo): Promise<DirectoryView> {
  const res = await fetch(`http://${hostPort(m.address, m.port)}/api/streams`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as DirectoryView;
}

/** What `viewer`'s directory says about `target`'s relay readiness. */
export async function relayOf(viewer: MachineInfo, target: MachineInfo = viewer): Promise<string | undefined> {
  return (await directoryOf(viewer)).machines.find((x) => x.id === target.id)?.relay;
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
