import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Discovery } from './discovery.ts';
import { appAddressesName, machineAddressName } from './dns-names.ts';
import type { DirectoryLimits } from './limits.ts';
import type { LocalSnapshot } from './local-snapshot.ts';
import { buildPeerApi } from './peer-api.ts';
import { PeerAuthorizer } from './peer-auth.ts';
import type { PeerResponse } from './peer-client.ts';
import { type PeerFetch, PeerLink } from './peer-link.ts';
import { PeerPush } from './peer-push.ts';
import type { DirectoryResolver } from './resolver.ts';
import { SenderCheck } from './sender-check.ts';
import { type Snapshot, snapshotRules } from './snapshot.ts';
import type { ApplyOutcome, DirectoryState } from './state.ts';
import type { DirectoryCounters } from './stats.ts';

export interface PeerNetworkOptions {
  /** Off Fly (no Machine id or app name) there are no peers: start() does nothing. */
  enabled: boolean;
  appName: string;
  /** HOST: the private port binds to it, and outgoing peer requests leave from it. */
  host: string;
  internalPort: number;
  internalToken: string | null;
  discoveryIntervalMs: number;
  /** Counts its questions into `counters`. */
  resolver: DirectoryResolver;
  log: FastifyBaseLogger;
  limits: DirectoryLimits;
  /** Push on change; off, peers learn only by the periodic pull. */
  push: boolean;
  now: () => number;
  random: () => number;
  state: DirectoryState;
  counters: DirectoryCounters;
  self: LocalSnapshot;
  /** Something in the view may have changed. */
  viewChanged(): void;
  /** A peer's snapshot was applied (pushed or fetched), after viewChanged. */
  snapshotApplied(snapshot: Snapshot): void;
  /** After each good DNS answer: the listed peers (never this Machine). */
  membership(peers: PeerMember[]): void;
}

/** A peer as `vms.<app>.internal` lists it. */
export interface PeerMember {
  id: string;
  region: string;
}

/**
 * Everything between this Machine and its peers: the private peer API (who may call it: PeerAuthorizer),
 * the discovery loop, and pushes of this Machine's snapshot. It opens when the public app listens, and
 * closes after telling every peer this Machine has no streams any more.
 */
export class PeerNetwork {
  private readonly opts: PeerNetworkOptions;
  private readonly link: PeerLink;
  private readonly authorizer: PeerAuthorizer;
  private readonly senders: SenderCheck;
  private readonly pushes: PeerPush;
  private readonly discovery: Discovery;
  private readonly routes: FastifyPluginAsync[] = [];
  private server: FastifyInstance | null = null;
  private startPromise: Promise<void> | null = null;
  private halted = false;

  constructor(opts: PeerNetworkOptions) {
    this.opts = opts;
    const { resolver, limits, state } = opts;
    this.link = new PeerLink({
      appName: opts.appName,
      port: opts.internalPort,
      selfHost: opts.host,
      token: opts.internalToken,
      maxResponseBytes: limits.maxSnapshotBytes,
      resolve6: (name) => resolver.resolve6(name),
    });
    this.authorizer = new PeerAuthorizer({
      token: opts.internalToken,
      lookup: () => resolver.resolve6(appAddressesName(opts.appName)),
      refreshMinIntervalMs: limits.authRefreshMinIntervalMs,
      now: opts.now,
    });
    this.senders = new SenderCheck({
      lookup: (machineId) => resolver.resolve6(machineAddressName(machineId, opts.appName)),
      refreshMinIntervalMs: limits.authRefreshMinIntervalMs,
      maxMachines: limits.maxMachines,
      now: opts.now,
    });
    this.pushes = new PeerPush({
      link: this.link,
      body: () => opts.self.json(),
      counters: opts.counters,
      log: opts.log,
      peerTimeoutMs: limits.peerTimeoutMs,
      stopped: () => this.halted,
    });
    this.discovery = new Discovery({
      appName: opts.appName,
      intervalMs: opts.discoveryIntervalMs,
      resolver,
      state,
      link: this.link,
      authorizer: this.authorizer,
      counters: opts.counters,
      limits,
      log: opts.log,
      now: opts.now,
      random: opts.random,
      viewChanged: () => opts.viewChanged(),
      snapshotApplied: (snapshot) => opts.snapshotApplied(snapshot),
      membershipApplied: (first) => {
        this.pushes.retain((id) => state.records.has(id));
        opts.viewChanged();
        opts.membership(state.listed().map(({ id, region }) => ({ id, region })));
        // A newcomer announces itself at once rather than waiting to be pulled.
        if (first) this.selfChanged();
      },
    });
  }

  /** After stop() or abort(): no more rounds, no more pushes on change. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Opens the private port and runs the first discovery round; idempotent. */
  start(): Promise<void> {
    this.startPromise ??= this.startOnce();
    return this.startPromise;
  }

  private async startOnce(): Promise<void> {
    if (!this.opts.enabled || this.halted) return;
    const { opts } = this;
    const server = await buildPeerApi({
      log: opts.log.child({ component: 'peer-api' }),
      maxSnapshotBytes: opts.limits.maxSnapshotBytes,
      snapshot: () => opts.self.current,
      snapshotRules: () => snapshotRules(opts.limits, opts.now()),
      verifySender: (machineId, remote) => this.senders.verify(machineId, remote),
      receive: (snapshot) => this.received(snapshot),
      maxMachines: opts.limits.maxMachines,
      authorize: (remote, authorization) => this.authorizer.authorize(remote, authorization),
      onRefused: () => opts.counters.peerRequestsRefused++,
      routes: this.routes,
    });
    this.server = server;
    await server.listen({ host: opts.host, port: opts.internalPort });
    opts.log.info(
      { host: opts.host, port: opts.internalPort, intervalMs: opts.discoveryIntervalMs, push: opts.push },
      'directory: peer API listening, discovery started',
    );
    await this.discovery.start();
  }

  /** Adds routes to the private peer API; they are registered when it opens, so only before start(). */
  addRoutes(routes: FastifyPluginAsync): void {
    if (this.startPromise !== null) throw new Error('peer API routes must be added before the directory starts');
    this.routes.push(routes);
  }

  /** GETs `path` from a peer's private API; a failed request makes the next one ask DNS again. */
  async fetch(id: string, path: string, opts: PeerFetch): Promise<PeerResponse> {
    try {
      return await this.link.fetch(id, path, opts);
    } catch (err) {
      this.link.forget(id);
      throw err;
    }
  }

  /** Runs one discovery round now, outside the timer. */
  async discoverNow(): Promise<void> {
    if (this.opts.enabled && !this.halted && this.server !== null) await this.discovery.round();
  }

  /** This Machine's snapshot changed: push it to every peer. */
  selfChanged(): void {
    if (!this.opts.push || this.halted || this.server === null) return;
    this.pushes.changed(this.opts.state.pushTargets().map((rec) => rec.id));
  }

  /** Stops discovery, tells every peer this Machine now has no streams, then closes the private port. */
  async stop(): Promise<void> {
    this.halt();
    // Let start() finish first (it may be mid-listen), so there is nothing half-open left behind.
    await this.startPromise?.catch(() => {});
    if (this.server !== null) {
      this.opts.self.update([]);
      const targets = this.opts.state.pushTargets().map((rec) => rec.id);
      await this.pushes.toAll(targets, this.opts.limits.shutdownPushTimeoutMs);
      await this.server.close();
    }
    this.link.close();
  }

  /** Stops at once without telling peers, as a crash would: the private port drops its connections. */
  async abort(): Promise<void> {
    this.halt();
    await this.startPromise?.catch(() => {});
    await this.server?.close();
    this.link.close();
  }

  private halt(): void {
    this.halted = true;
    this.discovery.stop();
  }

  private received(snapshot: Snapshot): ApplyOutcome {
    const { counters } = this.opts;
    counters.pushesReceived++;
    const outcome = this.opts.state.applySnapshot(snapshot, this.opts.now(), 'push');
    if (outcome === 'applied') {
      this.opts.viewChanged();
      this.opts.snapshotApplied(snapshot);
    } else counters.pushesIgnored++;
    return outcome;
  }
}
