import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ulid } from 'ulid';
import { backoffDelayMs, jitteredIntervalMs } from '../../shared/backoff.ts';
import type { RelayReadiness } from '../../shared/directory-api.ts';
import type { LocalStreamSource } from '../streams/source.ts';
import { normalizeAddress } from './address.ts';
import type { DirectoryLimits } from './limits.ts';
import { buildPeerApi, SNAPSHOT_PATH } from './peer-api.ts';
import { type PeerResponse, peerRequest } from './peer-client.ts';
import { forEachLimited } from './pool.ts';
import type { DirectoryResolver } from './resolver.ts';
import { parseSnapshot, type Snapshot, snapshotEtag } from './snapshot.ts';
import { type ApplyOutcome, DirectoryState } from './state.ts';
import { parseVmsTxt } from './txt.ts';
import { buildView, type DirectoryStream, type DirectoryView, diffViews, type ViewEvent } from './view.ts';

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

export interface PeerStats {
  id: string;
  region: string;
  listed: boolean;
  shown: boolean;
  failures: number;
  lastSeenMs: number | null;
  streams: number;
}

/** Counters for the metrics endpoint; all totals since start. */
export interface DirectoryStats {
  enabled: boolean;
  stale: boolean;
  bootId: string;
  version: number;
  rounds: number;
  /** Discovery rounds whose DNS lookup failed; and how many in a row right now. */
  dnsFailures: number;
  consecutiveDnsFailures: number;
  lastDiscoveryOkMs: number | null;
  dnsQueries: number;
  fetches: number;
  fetchesNotModified: number;
  fetchesFailed: number;
  pushesSent: number;
  pushesFailed: number;
  pushesReceived: number;
  pushesIgnored: number;
  peerRequestsRefused: number;
  sseClients: number;
  peers: PeerStats[];
}

type ViewListener = (events: ViewEvent[], view: DirectoryView) => void;

/** A peer as `vms.<app>.internal` lists it. */
export interface Member {
  id: string;
  region: string;
}
type MembershipListener = (peers: Member[]) => void;

interface Pusher {
  inFlight: boolean;
  pending: boolean;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Which streams are live on which Machine, cluster-wide. Discovery: every interval, TXT
 * `vms.<app>.internal`, then each peer's snapshot over the private API (conditional GET). Push: every
 * local change is POSTed to every known peer at once. Forgetting and ordering rules live in
 * DirectoryState; this class does the I/O, the timers and the logging (once per state change).
 */
export class Directory {
  readonly enabled: boolean;
  readonly bootId = ulid();
  private readonly state: DirectoryState;
  private readonly opts: DirectoryOptions;
  private readonly limits: DirectoryLimits;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly push: boolean;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 30_000 });
  private readonly addresses = new Map<string, string>();
  private readonly pushers = new Map<string, Pusher>();
  /** Peers whose last fetch failed: the log says so once per outage, not per attempt. */
  private readonly failing = new Set<string>();
  private readonly listeners = new Set<ViewListener>();
  private readonly membershipListeners = new Set<MembershipListener>();
  private relay: RelayReadiness | undefined;
  private readonly unsubscribe: () => void;
  private self: Snapshot;
  private serialized: { snapshot: Snapshot; json: string } | null = null;
  private allowed = new Set<string>();
  private allowedAtMs = -Infinity;
  private allowedRefresh: Promise<void> | null = null;
  private server: FastifyInstance | null = null;
  private timer: NodeJS.Timeout | null = null;
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private stopped = false;
  private lastView: DirectoryView | null = null;
  private flushScheduled = false;
  private counters = {
    rounds: 0,
    dnsFailures: 0,
    consecutiveDnsFailures: 0,
    lastDiscoveryOkMs: null as number | null,
    dnsQueries: 0,
    fetches: 0,
    fetchesNotModified: 0,
    fetchesFailed: 0,
    pushesSent: 0,
    pushesFailed: 0,
    pushesReceived: 0,
    pushesIgnored: 0,
    peerRequestsRefused: 0,
  };

  constructor(opts: DirectoryOptions) {
    this.opts = opts;
    this.limits = opts.limits;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.push = opts.push ?? true;
    this.enabled = opts.machineId !== null && opts.appName !== null;
    this.state = new DirectoryState(opts.machineId, {
      maxFailedFetches: opts.limits.maxFailedFetches,
      absentGraceMs: opts.discoveryIntervalMs,
      tombstoneMs: opts.limits.tombstoneMs,
    });
    this.self = this.snapshotOf(opts.source.list(), 1);
    this.unsubscribe = opts.source.onChange(() => this.localChanged());
  }

  // ---- reads -------------------------------------------------------------------------------------

  /** Stale: discovery is on but has not succeeded yet, or its last DNS lookup failed. */
  get stale(): boolean {
    return this.enabled && (this.counters.lastDiscoveryOkMs === null || this.counters.consecutiveDnsFailures > 0);
  }

  view(): DirectoryView {
    return buildView(this.self, this.state.records.values(), this.now(), this.stale);
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
    return this.self;
  }

  /** Called after each batch of changes with the SSE events and the new view. Returns unsubscribe. */
  onViewChange(listener: ViewListener): () => void {
    this.lastView ??= this.view();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called after every discovery round whose DNS lookup succeeded, with the listed peers (never this
   * Machine): the NATS engine builds its routes and gateways from it. Returns unsubscribe.
   */
  onMembership(listener: MembershipListener): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  /** This Machine's relay readiness, carried in its snapshot; a change is pushed to peers like a stream change. */
  setRelay(relay: RelayReadiness): void {
    if (this.relay === relay) return;
    this.relay = relay;
    this.localChanged();
  }

  stats(): DirectoryStats {
    return {
      enabled: this.enabled,
      stale: this.stale,
      bootId: this.bootId,
      version: this.self.version,
      ...this.counters,
      sseClients: this.opts.feedClients?.() ?? 0,
      peers: [...this.state.records.values()].map((rec) => ({
        id: rec.id,
        region: rec.region,
        listed: rec.listed,
        shown: rec.snapshot !== null,
        failures: rec.failures,
        lastSeenMs: rec.lastSeenMs,
        streams: rec.snapshot?.streams.length ?? 0,
      })),
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
      snapshot: () => this.self,
      receive: (snapshot) => this.received(snapshot),
      authorize: (remote, authorization) => this.authorize(remote, authorization),
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
    await this.tick();
  }

  /** Stops discovery, tells every peer this Machine now has no streams, then closes the private port. */
  stop(): Promise<void> {
    this.stopPromise ??= this.stopOnce();
    return this.stopPromise;
  }

  private async stopOnce(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.unsubscribe();
    // Let start() finish first (it may be mid-listen), so there is nothing half-open left behind.
    await this.startPromise?.catch(() => {});
    if (this.server !== null) {
      this.self = this.snapshotOf([], this.self.version + 1);
      const targets = this.state.pushTargets().map((rec) => rec.id);
      await Promise.all(targets.map((id) => this.sendPush(id, this.limits.shutdownPushTimeoutMs)));
      await this.server.close();
    }
    this.agent.destroy();
    this.listeners.clear();
  }

  /**
   * Stops at once without telling peers, as a crash would (tests and the benchmark use it to kill a
   * Machine in-process): timers stop, the private port closes and drops its connections.
   */
  async abort(): Promise<void> {
    this.stopped = true;
    this.stopPromise ??= Promise.resolve();
    if (this.timer !== null) clearTimeout(this.timer);
    this.unsubscribe();
    await this.startPromise?.catch(() => {});
    await this.server?.close();
    this.agent.destroy();
  }

  // ---- local changes and push --------------------------------------------------------------------

  /** The snapshot serialised once per change, not once per peer. */
  private selfJson(): string {
    if (this.serialized?.snapshot !== this.self)
      this.serialized = { snapshot: this.self, json: JSON.stringify(this.self) };
    return this.serialized.json;
  }

  private snapshotOf(streams: Snapshot['streams'], version: number): Snapshot {
    const snapshot: Snapshot = {
      machineId: this.opts.machineId ?? 'local',
      region: this.opts.region ?? 'local',
      bootId: this.bootId,
      version,
      streams,
    };
    if (this.relay !== undefined) snapshot.relay = this.relay;
    return snapshot;
  }

  private localChanged(): void {
    if (this.stopped) return;
    this.self = this.snapshotOf(this.opts.source.list(), this.self.version + 1);
    this.viewChanged();
    this.pushAll();
  }

  private pushAll(): void {
    if (!this.push || this.stopped || this.server === null) return;
    for (const rec of this.state.pushTargets()) this.pushTo(rec.id);
  }

  /** At most one push in flight per peer; changes meanwhile collapse into one more push of the latest. */
  private pushTo(id: string): void {
    let pusher = this.pushers.get(id);
    if (pusher === undefined) {
      pusher = { inFlight: false, pending: false };
      this.pushers.set(id, pusher);
    }
    if (pusher.inFlight) {
      pusher.pending = true;
      return;
    }
    pusher.inFlight = true;
    const p = pusher;
    void this.sendPush(id, this.limits.peerTimeoutMs).finally(() => {
      p.inFlight = false;
      if (p.pending && !this.stopped) {
        p.pending = false;
        this.pushTo(id);
      }
    });
  }

  /** Never throws: a failed push is covered by the peer's next pull. */
  private async sendPush(id: string, timeoutMs: number): Promise<void> {
    try {
      const address = await this.addressOf(id);
      const res = await this.request(address, 'POST', this.selfJson(), timeoutMs);
      if (res.status !== 200) throw new Error(`push answered ${res.status}: ${res.body.slice(0, 200)}`);
      this.counters.pushesSent++;
    } catch (err) {
      this.counters.pushesFailed++;
      this.addresses.delete(id);
      this.opts.log.debug(
        { peer: id, err: (err as Error).message },
        'directory: push failed (the next pull covers it)',
      );
    }
  }

  private received(snapshot: Snapshot): ApplyOutcome {
    this.counters.pushesReceived++;
    const outcome = this.state.applySnapshot(snapshot, this.now(), 'push');
    if (outcome === 'applied') this.viewChanged();
    else this.counters.pushesIgnored++;
    return outcome;
  }

  // ---- discovery ---------------------------------------------------------------------------------

  private get vmsName(): string {
    return `vms.${this.opts.appName}.internal`;
  }

  private async dns<T>(query: () => Promise<T>): Promise<T> {
    this.counters.dnsQueries++;
    return query();
  }

  /** Runs one discovery round now, outside the timer (tests; an operator's "refresh"). */
  async discoverNow(): Promise<void> {
    if (this.enabled && !this.stopped && this.server !== null) await this.round();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const startedMs = this.now();
    await this.round();
    if (this.stopped) return;
    const delayMs =
      this.counters.consecutiveDnsFailures > 0
        ? backoffDelayMs(
            this.counters.consecutiveDnsFailures - 1,
            { baseMs: this.limits.backoffBaseMs, maxMs: this.limits.backoffMaxMs },
            this.random(),
          )
        : Math.max(
            0,
            jitteredIntervalMs(this.opts.discoveryIntervalMs, this.limits.discoveryJitterRatio, this.random()) -
              (this.now() - startedMs),
          );
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  /** One discovery round: membership from DNS, then every listed peer's snapshot, a few at a time. */
  private async round(): Promise<void> {
    this.counters.rounds++;
    const resolver = this.opts.resolver;
    let records: string[][];
    try {
      const [txt] = await Promise.all([
        this.dns(() => resolver.resolveTxt(this.vmsName)),
        this.refreshAllowed().catch(() => {}),
      ]);
      records = txt;
    } catch (err) {
      this.dnsFailed(err as NodeJS.ErrnoException);
      return;
    }
    const firstSuccess = this.counters.lastDiscoveryOkMs === null;
    this.dnsOk();
    const { vms, invalid } = parseVmsTxt(records);
    if (invalid.length > 0)
      this.opts.log.warn({ name: this.vmsName, invalid }, 'directory: skipped malformed vms entries');
    const change = this.state.applyMembership(vms, this.now());
    for (const id of change.joined) this.opts.log.info({ peer: id }, 'directory: Machine joined');
    for (const id of change.dropped)
      this.opts.log.info({ peer: id }, 'directory: Machine left; its streams are dropped');
    for (const id of [...this.addresses.keys()]) if (!this.state.knows(id)) this.addresses.delete(id);
    for (const id of [...this.pushers.keys()]) if (!this.state.records.has(id)) this.pushers.delete(id);
    for (const id of [...this.failing]) if (!this.state.knows(id)) this.failing.delete(id);
    this.viewChanged();
    if (this.membershipListeners.size > 0) {
      const peers = this.state.listed().map(({ id, region }) => ({ id, region }));
      for (const listener of this.membershipListeners) listener(peers);
    }
    // A newcomer announces itself at once rather than waiting to be pulled.
    if (firstSuccess) this.pushAll();
    const peers = this.state.listed().map((rec) => rec.id);
    await forEachLimited(peers, this.limits.maxConcurrentFetches, (id) => this.fetchPeer(id));
  }

  private dnsFailed(err: NodeJS.ErrnoException): void {
    this.counters.dnsFailures++;
    this.counters.consecutiveDnsFailures++;
    if (this.counters.consecutiveDnsFailures === 1) {
      this.opts.log.warn(
        { name: this.vmsName, code: err.code, err: err.message },
        'directory: DNS lookup failed; keeping the last directory (stale) and retrying with backoff',
      );
      this.viewChanged();
    }
  }

  private dnsOk(): void {
    if (this.counters.consecutiveDnsFailures > 0) {
      this.opts.log.info({ failedRounds: this.counters.consecutiveDnsFailures }, 'directory: DNS lookups work again');
    }
    this.counters.consecutiveDnsFailures = 0;
    this.counters.lastDiscoveryOkMs = this.now();
  }

  private async fetchPeer(id: string): Promise<void> {
    const held = this.state.records.get(id)?.snapshot ?? null;
    this.counters.fetches++;
    try {
      const address = await this.addressOf(id);
      const res = await this.request(
        address,
        'GET',
        undefined,
        this.limits.peerTimeoutMs,
        held === null ? undefined : snapshotEtag(held),
      );
      if (res.status === 304 && held !== null) {
        this.counters.fetchesNotModified++;
        this.state.notModified(id, this.now());
      } else if (res.status === 200) {
        const parsed = parseSnapshot(JSON.parse(res.body) as unknown);
        if (!parsed.ok) throw new Error(`bad snapshot: ${parsed.error}`);
        if (parsed.snapshot.machineId !== id) throw new Error(`address answered as ${parsed.snapshot.machineId}`);
        if (this.state.applySnapshot(parsed.snapshot, this.now(), 'fetch') === 'applied') this.viewChanged();
      } else {
        throw new Error(`snapshot fetch answered ${res.status}: ${res.body.slice(0, 200)}`);
      }
      if (this.failing.delete(id)) this.opts.log.info({ peer: id }, 'directory: peer reachable again');
    } catch (err) {
      this.counters.fetchesFailed++;
      this.addresses.delete(id);
      const neverSeen = this.state.records.get(id)?.lastSeenMs == null;
      const outcome = this.state.fetchFailed(id, this.now());
      if (!this.failing.has(id)) {
        this.failing.add(id);
        // A Machine listed a moment before its private port opens is normal at start-up: not a warning.
        const level = neverSeen ? 'info' : 'warn';
        this.opts.log[level](
          { peer: id, err: (err as Error).message },
          neverSeen ? 'directory: peer not reachable yet' : 'directory: cannot fetch a peer snapshot',
        );
      }
      if (outcome === 'dropped') {
        this.opts.log.warn(
          { peer: id, failures: this.limits.maxFailedFetches },
          'directory: peer failed repeatedly; its streams are dropped',
        );
        this.viewChanged();
      }
    }
  }

  private async addressOf(id: string): Promise<string> {
    const cached = this.addresses.get(id);
    if (cached !== undefined) return cached;
    const answers = await this.dns(() => this.opts.resolver.resolve6(`${id}.vm.${this.opts.appName}.internal`));
    const address = answers[0];
    if (address === undefined) throw new Error(`no AAAA for ${id}.vm.${this.opts.appName}.internal`);
    this.addresses.set(id, address);
    return address;
  }

  private request(
    address: string,
    method: 'GET' | 'POST',
    body: string | undefined,
    timeoutMs: number,
    ifNoneMatch?: string,
  ): Promise<PeerResponse> {
    const headers: Record<string, string> = {};
    if (this.opts.internalToken !== null) headers.authorization = `Bearer ${this.opts.internalToken}`;
    if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
    return peerRequest({
      address,
      port: this.opts.internalPort,
      selfHost: this.opts.host,
      method,
      path: SNAPSHOT_PATH,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs,
      maxResponseBytes: this.limits.maxSnapshotBytes,
      agent: this.agent,
    });
  }

  // ---- peer API authorisation --------------------------------------------------------------------

  private refreshAllowed(): Promise<void> {
    this.allowedRefresh ??= this.dns(() => this.opts.resolver.resolve6(`${this.opts.appName}.internal`))
      .then((answers) => {
        this.allowed = new Set(answers.map(normalizeAddress));
        this.allowedAtMs = this.now();
      })
      .finally(() => {
        this.allowedRefresh = null;
      });
    return this.allowedRefresh;
  }

  private async authorize(remote: string, authorization: string | undefined): Promise<boolean> {
    const token = this.opts.internalToken;
    if (token !== null && authorization !== undefined && sameSecret(authorization, `Bearer ${token}`)) return true;
    const caller = normalizeAddress(remote);
    if (this.allowed.has(caller)) return true;
    // A Machine newer than our last lookup: look again, but not more often than the limit.
    if (this.now() - this.allowedAtMs >= this.limits.authRefreshMinIntervalMs) {
      await this.refreshAllowed().catch(() => {});
    }
    return this.allowed.has(caller);
  }

  // ---- view change fan-out -----------------------------------------------------------------------

  /** Coalesces a burst of changes (one round, one push) into one diff for the SSE clients. */
  private viewChanged(): void {
    if (this.flushScheduled || this.listeners.size === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const next = this.view();
      const prev = this.lastView ?? next;
      this.lastView = next;
      const events = diffViews(prev, next);
      if (events.length === 0) return;
      for (const listener of this.listeners) listener(events, next);
    });
  }
}
