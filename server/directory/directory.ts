import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ulid } from 'ulid';
import type { LocalStreamSource } from '../streams/source.ts';
import { Discovery } from './discovery.ts';
import { appAddressesName } from './dns-names.ts';
import type { DirectoryLimits } from './limits.ts';
import { LocalSnapshot } from './local-snapshot.ts';
import { buildPeerApi } from './peer-api.ts';
import { PeerAuthorizer } from './peer-auth.ts';
import { PeerLink } from './peer-link.ts';
import { PeerPush } from './peer-push.ts';
import { countingResolver, type DirectoryResolver } from './resolver.ts';
import type { Snapshot } from './snapshot.ts';
import { type ApplyOutcome, DirectoryState } from './state.ts';
import { type DirectoryStats, isStale, newDirectoryCounters, peerStats } from './stats.ts';
import { buildView, type DirectoryStream, type DirectoryView } from './view.ts';
import { ViewFeed, type ViewListener } from './view-feed.ts';

export interface DirectoryOptions {
  machineId: string | null;
  region: string | null;
  appName: string | null;
  /** HOST: the private port binds to it too, and outgoing peer requests leave from it. */
  host: string;
  internalPort: number;
  internalToken: string | null;
  discoveryIntervalMs: number;
  source: LocalStreamSource;
  resolver: DirectoryResolver;
  log: FastifyBaseLogger;
  limits: DirectoryLimits;
  /** Push snapshots on change (default); off, peers learn only by the periodic pull (benchmark baseline). */
  push?: boolean;
  now?: () => number;
  random?: () => number;
  /** Open SSE feeds, for stats(). */
  feedClients?: () => number;
}

/**
 * Which streams are live on which Machine, cluster-wide: this Machine's own snapshot (served to peers
 * and pushed to them on every change) plus what discovery and peers' pushes bring in. The parts live
 * beside it: rules in DirectoryState, rounds in Discovery, peer requests in PeerLink, who may call in
 * PeerAuthorizer, pushes in PeerPush, the SSE diff in ViewFeed. This class wires them,
 * answers the reads and runs start and stop.
 */
export class Directory {
  readonly enabled: boolean;
  readonly bootId = ulid();
  private readonly state: DirectoryState;
  private readonly opts: DirectoryOptions;
  private readonly limits: DirectoryLimits;
  private readonly now: () => number;
  private readonly push: boolean;
  private readonly counters = newDirectoryCounters();
  private readonly link: PeerLink;
  private readonly authorizer: PeerAuthorizer;
  private readonly discovery: Discovery;
  private readonly pushes: PeerPush;
  private readonly feed = new ViewFeed(() => this.view());
  private readonly unsubscribe: () => void;
  private readonly self: LocalSnapshot;
  private server: FastifyInstance | null = null;
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private stopped = false;

  constructor(opts: DirectoryOptions) {
    this.opts = opts;
    this.limits = opts.limits;
    this.now = opts.now ?? Date.now;
    this.push = opts.push ?? true;
    this.enabled = opts.machineId !== null && opts.appName !== null;
    // Without an app name nothing below asks DNS or a peer (start() does nothing), so '' is never used.
    const appName = opts.appName ?? '';
    const resolver = countingResolver(opts.resolver, () => this.counters.dnsQueries++);
    this.state = new DirectoryState(opts.machineId, {
      maxFailedFetches: opts.limits.maxFailedFetches,
      absentGraceMs: opts.discoveryIntervalMs,
      tombstoneMs: opts.limits.tombstoneMs,
    });
    this.link = new PeerLink({
      appName,
      port: opts.internalPort,
      selfHost: opts.host,
      token: opts.internalToken,
      maxResponseBytes: opts.limits.maxSnapshotBytes,
      resolve6: (name) => resolver.resolve6(name),
    });
    this.authorizer = new PeerAuthorizer({
      token: opts.internalToken,
      lookup: () => resolver.resolve6(appAddressesName(appName)),
      refreshMinIntervalMs: opts.limits.authRefreshMinIntervalMs,
      now: this.now,
    });
    this.pushes = new PeerPush({
      link: this.link,
      body: () => this.self.json(),
      counters: this.counters,
      log: opts.log,
      peerTimeoutMs: opts.limits.peerTimeoutMs,
      stopped: () => this.stopped,
    });
    this.discovery = new Discovery({
      appName,
      intervalMs: opts.discoveryIntervalMs,
      resolver,
      state: this.state,
      link: this.link,
      authorizer: this.authorizer,
      counters: this.counters,
      limits: opts.limits,
      log: opts.log,
      now: this.now,
      random: opts.random ?? Math.random,
      viewChanged: () => this.feed.changed(),
      membershipApplied: (first) => {
        this.pushes.retain((id) => this.state.records.has(id));
        this.feed.changed();
        // A newcomer announces itself at once rather than waiting to be pulled.
        if (first) this.pushAll();
      },
    });
    this.self = new LocalSnapshot(
      { machineId: opts.machineId ?? 'local', region: opts.region ?? 'local', bootId: this.bootId },
      opts.source.list(),
    );
    this.unsubscribe = opts.source.onChange(() => this.localChanged());
  }

  // ---- reads -------------------------------------------------------------------------------------

  /** Stale: discovery is on but has not succeeded yet, or its last DNS lookup failed. */
  get stale(): boolean {
    return isStale(this.enabled, this.counters);
  }

  view(): DirectoryView {
    return buildView(this.self.current, this.state.records.values(), this.now(), this.stale);
  }

  list(): DirectoryStream[] {
    return this.view().streams;
  }

  get(id: string): DirectoryStream | undefined {
    return this.list().find((s) => s.id === id);
  }

  /** false only when the directory is fresh and does not know the Machine; undefined when it cannot tell. */
  machineKnown(id: string): boolean | undefined {
    if (!this.enabled) return undefined;
    if (id === this.opts.machineId) return true;
    if (this.stale) return undefined;
    return this.state.knows(id);
  }

  /** This Machine's own snapshot, as served to peers. */
  snapshot(): Snapshot {
    return this.self.current;
  }

  /** Called after each batch of changes with the SSE events and the new view. Returns unsubscribe. */
  onViewChange(listener: ViewListener): () => void {
    return this.feed.subscribe(listener);
  }

  stats(): DirectoryStats {
    return {
      enabled: this.enabled,
      stale: this.stale,
      bootId: this.bootId,
      version: this.self.current.version,
      ...this.counters,
      sseClients: this.opts.feedClients?.() ?? 0,
      peers: [...this.state.records.values()].map(peerStats),
    };
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Opens the private port and runs the first discovery round; idempotent. Off Fly it does nothing. */
  start(): Promise<void> {
    this.startPromise ??= this.startOnce();
    return this.startPromise;
  }

  private async startOnce(): Promise<void> {
    if (!this.enabled || this.stopped) return;
    const server = await buildPeerApi({
      log: this.opts.log.child({ component: 'peer-api' }),
      maxSnapshotBytes: this.limits.maxSnapshotBytes,
      snapshot: () => this.self.current,
      receive: (snapshot) => this.received(snapshot),
      authorize: (remote, authorization) => this.authorizer.authorize(remote, authorization),
      onRefused: () => this.counters.peerRequestsRefused++,
    });
    this.server = server;
    await server.listen({ host: this.opts.host, port: this.opts.internalPort });
    this.opts.log.info(
      {
        host: this.opts.host,
        port: this.opts.internalPort,
        intervalMs: this.opts.discoveryIntervalMs,
        push: this.push,
      },
      'directory: peer API listening, discovery started',
    );
    await this.discovery.start();
  }

  /** Runs one discovery round now, outside the timer (tests; an operator's "refresh"). */
  async discoverNow(): Promise<void> {
    if (this.enabled && !this.stopped && this.server !== null) await this.discovery.round();
  }

  /** Stops discovery, tells every peer this Machine now has no streams, then closes the private port. */
  stop(): Promise<void> {
    this.stopPromise ??= this.stopOnce();
    return this.stopPromise;
  }

  private async stopOnce(): Promise<void> {
    this.stopped = true;
    this.discovery.stop();
    this.unsubscribe();
    // Let start() finish first (it may be mid-listen), so there is nothing half-open left behind.
    await this.startPromise?.catch(() => {});
    if (this.server !== null) {
      this.self.update([]);
      const targets = this.state.pushTargets().map((rec) => rec.id);
      await this.pushes.toAll(targets, this.limits.shutdownPushTimeoutMs);
      await this.server.close();
    }
    this.link.close();
    this.feed.clear();
  }

  /**
   * Stops at once without telling peers, as a crash would (tests and the benchmark use it to kill a
   * Machine in-process): timers stop, the private port closes and drops its connections.
   */
  async abort(): Promise<void> {
    this.stopped = true;
    this.stopPromise ??= Promise.resolve();
    this.discovery.stop();
    this.unsubscribe();
    await this.startPromise?.catch(() => {});
    await this.server?.close();
    this.link.close();
  }

  // ---- local changes and push ------------------------------------------------------------------

  private localChanged(): void {
    if (this.stopped) return;
    this.self.update(this.opts.source.list());
    this.feed.changed();
    this.pushAll();
  }

  private pushAll(): void {
    if (!this.push || this.stopped || this.server === null) return;
    this.pushes.changed(this.state.pushTargets().map((rec) => rec.id));
  }

  private received(snapshot: Snapshot): ApplyOutcome {
    this.counters.pushesReceived++;
    const outcome = this.state.applySnapshot(snapshot, this.now(), 'push');
    if (outcome === 'applied') this.feed.changed();
    else this.counters.pushesIgnored++;
    return outcome;
  }
}
