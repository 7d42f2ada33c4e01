import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { loadConfig } from '../../server/config.ts';
import type { Directory } from '../../server/directory/directory.ts';
import { DEFAULT_DIRECTORY_LIMITS, type DirectoryLimits } from '../../server/directory/limits.ts';
import { directoryPlugin } from '../../server/directory/plugin.ts';
import type { DirectoryResolver } from '../../server/directory/resolver.ts';
import { machinePlugin } from '../../server/machine.ts';
import type { StreamsService } from '../../server/streams/plugin.ts';
import type { CreateResult, RelayStats, ResumeResult } from '../../server/streams/registry.ts';
import type { HoldState, StreamSummary } from '../../server/streams/source.ts';
import type { NewHome } from '../../server/streams/stream-types.ts';
import { type ThumbnailsOptions, thumbnailsPlugin } from '../../server/thumbnails/plugin.ts';
import { thumbnailSharingPlugin } from '../../server/thumbnails/sharing-plugin.ts';

/**
 * Test and benchmark support (not used by the server): an in-memory stream source, an in-memory DNS,
 * and in-process clusters of Machines that each run the directory on their own loopback address.
 */

/** A stand-in for the relay (`app.streams`) whose streams the test starts and ends by hand. */
export class FakeStreamSource implements StreamsService {
  private readonly streams = new Map<string, StreamSummary>();
  private readonly listeners = new Set<() => void>();
  private readonly movingIds = new Set<string>();
  /** Streams handed over to another Machine's newer claim, in order. */
  readonly handedOver: Array<{ id: string; machineId: string; region: string }> = [];
  readonly canMove = false;

  pollWhileMoving(): void {}
  live(): never[] {
    return [];
  }
  useRelays(): void {}
  readonly limits = loadConfig({}).streams;

  holds(id: string): HoldState {
    if (!this.streams.has(id)) return null;
    return this.movingIds.has(id) ? 'moving' : 'live';
  }

  /** Marks a stream as waiting for its new home (this Machine is going away). */
  setMoving(id: string): void {
    this.movingIds.add(id);
  }

  verifyToken(): boolean {
    return false;
  }

  resume(): ResumeResult {
    return { ok: false, status: 503, error: 'a fake source: start streams with start()' };
  }

  handOver(id: string, home: NewHome): void {
    this.handedOver.push({ id, ...home });
    this.movingIds.delete(id);
    this.end(id);
  }

  list(): StreamSummary[] {
    return [...this.streams.values()];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): RelayStats {
    const streams = this.list();
    return {
      liveStreams: streams.length,
      viewers: streams.reduce((sum, s) => sum + s.viewers, 0),
      publishers: streams.length,
      viewerBacklogBytes: 0,
      gopBytes: 0,
      framesReceived: 0,
      framesSent: 0,
      framesSkipped: 0,
      bytesSent: 0,
      chatMessages: 0,
      keyframeRequests: 0,
      slowViewersClosed: 0,
      viewersBehindBacklog: 0,
      viewersBehindLag: 0,
    };
  }

  create(): CreateResult {
    return { ok: false, status: 503, error: 'a fake source: start streams with start()' };
  }

  /** Publish tokens of the fake streams, set by the test. */
  readonly tokens = new Map<string, string>();

  tokenMatches(id: string, token: unknown): boolean {
    return this.streams.has(id) && this.tokens.get(id) === token;
  }

  start(stream: Partial<StreamSummary> & { id: string }): StreamSummary {
    const full = {
      title: `stream ${stream.id}`,
      creator: 'tester',
      viewers: 0,
      startedAt: Date.now(),
      epoch: 0,
      ...stream,
    };
    this.streams.set(stream.id, full);
    this.emit();
    return full;
  }

  update(id: string, patch: Partial<Omit<StreamSummary, 'id'>>): void {
    const held = this.streams.get(id);
    if (held === undefined) throw new Error(`no stream ${id}`);
    this.streams.set(id, { ...held, ...patch });
    this.emit();
  }

  end(id: string): void {
    if (this.streams.delete(id)) this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Registers `source` as `app.streams`, for an app that runs the directory without the relay. */
export const fakeStreamsPlugin = fp<{ source: FakeStreamSource }>(
  async (app, { source }) => {
    app.decorate('streams', source);
  },
  { name: 'streams', fastify: '5.x' },
);

/** One Machine as DNS publishes it. */
export interface DnsMachine {
  id: string;
  region: string;
  /** Its loopback address, e.g. 127.0.23.10; published as AAAA `::ffff:<address>` like localfly. */
  address: string;
}

/** Where the cluster's Machines find each other: a real DNS server (FLY_DNS_SERVER) or an in-memory resolver. */
export interface ClusterDns {
  /** `host:port` of a DNS server, or null to use `resolver`. */
  server: string | null;
  resolver?: DirectoryResolver;
  /** Publishes the started Machines of `appName`. */
  publish(appName: string, machines: readonly DnsMachine[]): void;
}

function dnsError(code: string, name: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code} ${name}`);
  err.code = code;
  return err;
}

/** An in-memory `.internal` DNS in Fly's formats (one TXT string, no splitting), with a failure switch. */
export class MemoryDns implements ClusterDns {
  readonly server = null;
  private apps = new Map<string, readonly DnsMachine[]>();
  /** While set, every query fails with this code (e.g. ETIMEOUT). */
  failWith: string | null = null;
  queries = 0;

  readonly resolver: DirectoryResolver = {
    resolveTxt: async (name) => {
      this.queries++;
      if (this.failWith !== null) throw dnsError(this.failWith, name);
      const m = /^vms\.([a-z0-9-]+)\.internal$/.exec(name);
      const machines = m === null ? undefined : this.apps.get(m[1]!);
      if (machines === undefined || machines.length === 0) throw dnsError('ENOTFOUND', name);
      return [[machines.map((vm) => `${vm.id} ${vm.region}`).join(',')]];
    },
    resolve6: async (name) => {
      this.queries++;
      if (this.failWith !== null) throw dnsError(this.failWith, name);
      const vm = /^([0-9a-f]{14})\.vm\.([a-z0-9-]+)\.internal$/.exec(name);
      if (vm !== null) {
        const found = this.apps.get(vm[2]!)?.find((x) => x.id === vm[1]);
        if (found === undefined) throw dnsError('ENOTFOUND', name);
        return [`::ffff:${found.address}`];
      }
      const app = /^([a-z0-9-]+)\.internal$/.exec(name);
      const machines = app === null ? undefined : this.apps.get(app[1]!);
      if (machines === undefined || machines.length === 0) throw dnsError('ENOTFOUND', name);
      return machines.map((x) => `::ffff:${x.address}`);
    },
  };

  publish(appName: string, machines: readonly DnsMachine[]): void {
    this.apps.set(appName, [...machines]);
  }
}

export function randomMachineId(): string {
  return randomBytes(7).toString('hex');
}

export interface ClusterNode {
  id: string;
  region: string;
  address: string;
  app: FastifyInstance;
  directory: Directory;
  source: FakeStreamSource;
  /** Public base URL, e.g. http://127.0.23.10:34567. */
  url: string;
  alive: boolean;
}

export interface ClusterOptions {
  /** One loopback address per Machine; pick a block no other test file uses. */
  addresses: readonly string[];
  /** Region per Machine (cycled). */
  regions?: readonly string[];
  /** The private port, the same on every Machine (as on Fly). */
  internalPort: number;
  appName?: string;
  discoveryIntervalMs: number;
  push?: boolean;
  dns: ClusterDns;
  limits?: Partial<DirectoryLimits>;
  internalToken?: string | null;
  /** Receives every Machine's pino lines (JSON), for tests that assert on logging. Default: silent. */
  logStream?: { write(line: string): void };
  /** Run both thumbnail plugins too, with these settings over the defaults. */
  thumbnails?: Partial<ThumbnailsOptions>;
}

/** The thumbnails' default settings (config's), for a cluster that runs them. */
export const DEFAULT_THUMBNAILS: ThumbnailsOptions = loadConfig({}).thumbnails;

/** Machines of one app, each a Fastify app with the directory plugin on its own loopback address. */
export class Cluster {
  readonly nodes: ClusterNode[] = [];
  readonly appName: string;

  private constructor(private readonly opts: ClusterOptions) {
    this.appName = opts.appName ?? 'replaycast-test';
  }

  static async start(opts: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(opts);
    const regions = opts.regions ?? ['ams', 'dfw'];
    const pending = opts.addresses.map((address, i) => cluster.build(address, regions[i % regions.length]!));
    cluster.nodes.push(...(await Promise.all(pending)));
    cluster.publish();
    const started = await Promise.allSettled(
      cluster.nodes.map(async (node) => {
        await node.app.listen({ host: node.address, port: 0 });
        await node.directory.start();
        const port = (node.app.server.address() as { port: number }).port;
        node.url = `http://${node.address}:${port}`;
      }),
    );
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      // Close what did start (e.g. a port another process holds): left listening, it would keep the
      // test process alive after its tests end.
      await cluster.close();
      throw failed.reason;
    }
    return cluster;
  }

  private async build(address: string, region: string): Promise<ClusterNode> {
    const id = randomMachineId();
    const source = new FakeStreamSource();
    const logger =
      this.opts.logStream !== undefined
        ? { level: 'info', stream: this.opts.logStream, base: { machine: id } }
        : { level: process.env.DIRECTORY_TEST_LOG ?? 'silent', base: { machine: id } };
    const app = Fastify({ logger, forceCloseConnections: true });
    await app.register(machinePlugin, { id, region, appName: this.appName });
    await app.register(fakeStreamsPlugin, { source });
    const thumbnails = this.opts.thumbnails && { ...DEFAULT_THUMBNAILS, ...this.opts.thumbnails };
    if (thumbnails) await app.register(thumbnailsPlugin, thumbnails);
    await app.register(directoryPlugin, {
      host: address,
      internalPort: this.opts.internalPort,
      internalToken: this.opts.internalToken ?? null,
      discoveryIntervalMs: this.opts.discoveryIntervalMs,
      dnsServer: this.opts.dns.server,
      limits: { ...DEFAULT_DIRECTORY_LIMITS, ...this.opts.limits },
      ...(this.opts.dns.resolver !== undefined ? { resolver: this.opts.dns.resolver } : {}),
      ...(this.opts.push !== undefined ? { push: this.opts.push } : {}),
    });
    if (thumbnails) await app.register(thumbnailSharingPlugin, thumbnails);
    await app.ready();
    return { id, region, address, app, directory: app.directory, source, url: '', alive: true };
  }

  /** Publishes the live Machines in DNS (as localfly does when a Machine starts or stops). */
  publish(): void {
    this.opts.dns.publish(
      this.appName,
      this.nodes.filter((n) => n.alive).map(({ id, region, address }) => ({ id, region, address })),
    );
  }

  /** A crash: gone from DNS and silent at once, without telling anyone. */
  async kill(node: ClusterNode): Promise<void> {
    node.alive = false;
    this.publish();
    await node.directory.abort();
    await node.app.close();
  }

  /** A graceful stop: the Machine closes (pushing an empty snapshot), then leaves DNS. */
  async stop(node: ClusterNode): Promise<void> {
    node.alive = false;
    await node.app.close();
    this.publish();
  }

  others(node: ClusterNode): ClusterNode[] {
    return this.nodes.filter((n) => n !== node && n.alive);
  }

  async close(): Promise<void> {
    for (const node of this.nodes) node.alive = false;
    this.publish();
    await Promise.all(this.nodes.map((n) => n.app.close()));
  }
}

/** Polls `condition` every few ms until true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs: number, pollMs = 2): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, pollMs));
  }
  return performance.now() - started;
}
