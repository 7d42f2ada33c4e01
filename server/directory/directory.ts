import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { ulid } from 'ulid';
import type { RelayedStreamLoad, RelayReadiness } from '../../shared/directory-api.ts';
import type { LocalStreamSource } from '../streams/source.ts';
import type { DirectoryLimits } from './limits.ts';
import { cappedStreams, LocalSnapshot } from './local-snapshot.ts';
import type { PeerResponse } from './peer-client.ts';
import type { PeerFetch } from './peer-link.ts';
import { type PeerMember, PeerNetwork } from './peer-network.ts';
import { DirectoryReads } from './reads.ts';
import { countingResolver, type DirectoryResolver } from './resolver.ts';
import type { Snapshot } from './snapshot.ts';
import { DirectoryState } from './state.ts';
import { type DirectoryStats, isStale, newDirectoryCounters, peerStats } from './stats.ts';
import { sameThumbnails, type ThumbnailVersions, withOwnThumbnails } from './thumbnail-versions.ts';
import type { DirectoryStream, DirectoryView } from './view.ts';
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
 * Which streams are live on which Machine, cluster-wide: this Machine's own snapshot plus what its peers
 * told it (through PeerNetwork: discovery, pushes, the private API). The rules of what is kept live in
 * DirectoryState; the cached view in DirectoryReads; the SSE diff in ViewFeed. This class follows the local
 * streams and starts and stops the peer side with the app.
 */
export class Directory {
  readonly enabled: boolean;
  readonly bootId = ulid();
  private readonly opts: DirectoryOptions;
  private readonly now: () => number;
  private readonly state: DirectoryState;
  private readonly counters = newDirectoryCounters();
  private readonly self: LocalSnapshot;
  private readonly reads: DirectoryReads;
  private readonly feed = new ViewFeed(
    () => this.view(),
    () => (this.opts.feedClients?.() ?? 1) > 0,
  );
  private readonly peers: PeerNetwork;
  private readonly membershipListeners = new Set<(peers: PeerMember[]) => void>();
  private readonly unsubscribe: () => void;
  private readonly claimListeners = new Set<(snapshot: Snapshot) => void>();
  private readonly peerListeners = new Set<() => void>();
  private thumbnails: ThumbnailVersions | null = null;
  /** Grows whenever the thumbnails this Machine holds change (the view names their versions). */
  private thumbnailRevision = 0;
  private stopPromise: Promise<void> | null = null;

  constructor(opts: DirectoryOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.enabled = opts.machineId !== null && opts.appName !== null;
    this.state = new DirectoryState(opts.machineId, {
      maxFailedFetches: opts.limits.maxFailedFetches,
      absentGraceMs: opts.discoveryIntervalMs,
      tombstoneMs: opts.limits.tombstoneMs,
      maxMachines: opts.limits.maxMachines,
    });
    this.self = new LocalSnapshot(
      { machineId: opts.machineId ?? 'local', region: opts.region ?? 'local', bootId: this.bootId },
      cappedStreams(opts.source.list(), opts.limits.maxViewersPerStream),
    );
    this.reads = new DirectoryReads({
      self: this.self,
      state: this.state,
      now: this.now,
      stale: () => this.stale,
      thumbnails: () => this.thumbnails,
      thumbnailRevision: () => this.thumbnailRevision,
    });
    this.peers = new PeerNetwork({
      enabled: this.enabled,
      // Without an app name the peer side never starts, so '' is never asked of DNS.
      appName: opts.appName ?? '',
      host: opts.host,
      internalPort: opts.internalPort,
      internalToken: opts.internalToken,
      discoveryIntervalMs: opts.discoveryIntervalMs,
      resolver: countingResolver(opts.resolver, () => this.counters.dnsQueries++),
      log: opts.log,
      limits: opts.limits,
      push: opts.push ?? true,
      now: this.now,
      random: opts.random ?? Math.random,
      state: this.state,
      counters: this.counters,
      self: this.self,
      viewChanged: () => this.peersChanged(),
      snapshotApplied: (snapshot) => {
        for (const listener of [...this.claimListeners]) listener(snapshot);
      },
      membership: (peers) => {
        for (const listener of this.membershipListeners) listener(peers);
      },
    });
    this.unsubscribe = opts.source.onChange(() => this.localChanged());
  }

  // ---- reads -------------------------------------------------------------------------------------

  /** Stale: discovery is on but has not succeeded yet, or its last DNS lookup failed. */
  get stale(): boolean {
    return isStale(this.enabled, this.counters);
  }

  /** The lists come from the cache (shared, frozen); `lastSeenMs` and `stale` are read now. */
  view(): DirectoryView {
    return this.reads.view();
  }

  list(): readonly DirectoryStream[] {
    return this.reads.list();
  }

  get(id: string): DirectoryStream | undefined {
    return this.reads.get(id);
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

  /** The view a new SSE feed starts from (its `state` event); the next changes are diffed against it. */
  feedStart(): DirectoryView {
    const view = this.view();
    this.feed.baseline(view);
    return view;
  }

  /** Called after each batch of changes with the SSE events and the new view. Returns unsubscribe. */
  onViewChange(listener: ViewListener): () => void {
    return this.feed.subscribe(listener);
  }

  /**
   * Called with every peer snapshot applied (pushed or fetched): the streams that peer claims now. The
   * moves plugin hands a local stream over when a peer's claim on it ranks higher. Returns unsubscribe.
   */
  onPeerSnapshot(listener: (snapshot: Snapshot) => void): () => void {
    this.claimListeners.add(listener);
    return () => this.claimListeners.delete(listener);
  }

  /**
   * Called after every discovery round whose DNS lookup succeeded, with the listed peers (never this
   * Machine): the NATS engine builds its routes and gateways from it. Returns unsubscribe.
   */
  onMembership(listener: (peers: PeerMember[]) => void): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  /** This Machine's relay readiness, carried in its snapshot; a change is pushed to peers like a stream change. */
  setRelay(relay: RelayReadiness): void {
    if (this.peers.stopped || !this.self.setRelay(relay)) return;
    this.feed.changed();
    this.peers.selfChanged();
  }

  /** This Machine's relay load (sockets, relayed streams), carried in its snapshot; pushed on change. */
  setLoad(connections: number, relayed: RelayedStreamLoad[]): void {
    if (this.peers.stopped || !this.self.setLoad(connections, relayed)) return;
    this.feed.changed();
    this.peers.selfChanged();
  }

  stats(): DirectoryStats {
    return {
      enabled: this.enabled,
      stale: this.stale,
      bootId: this.bootId,
      version: this.self.current.version,
      ...this.counters,
      sseClients: this.opts.feedClients?.() ?? 0,
      viewBuilds: this.reads.builds,
      peers: [...this.state.records.values()].map(peerStats),
    };
  }

  // ---- thumbnails (the thumbnails plugin) -----------------------------------------------------------

  /** Streams hosted by peers, each with the thumbnail version its home advertises. */
  peerStreams(): DirectoryStream[] {
    return this.reads.peerStreams();
  }

  /** Called whenever what peers advertise may have changed. Returns unsubscribe. */
  onPeersChange(listener: () => void): () => void {
    this.peerListeners.add(listener);
    return () => this.peerListeners.delete(listener);
  }

  /** Where the thumbnail versions come from; set once, before start. */
  useThumbnails(versions: ThumbnailVersions): void {
    this.thumbnails = versions;
    this.thumbnailsChanged('own');
  }

  /** A thumbnail was stored or dropped: `own` ones make a new snapshot for peers; either changes the view. */
  thumbnailsChanged(which: 'own' | 'copies'): void {
    if (this.peers.stopped) return;
    this.thumbnailRevision++;
    if (which === 'own') {
      const streams = this.ownStreams();
      if (!sameThumbnails(streams, this.self.current.streams)) {
        this.self.update(streams);
        this.peers.selfChanged();
      }
    }
    this.feed.changed();
  }

  /** Routes other plugins serve on the private peer API (behind its check of the caller); before start. */
  addPeerRoutes(routes: FastifyPluginAsync): void {
    this.peers.addRoutes(routes);
  }

  /** GETs `path` from a peer's private API. */
  peerFetch(id: string, path: string, opts: PeerFetch): Promise<PeerResponse> {
    return this.peers.fetch(id, path, opts);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Opens the private port and runs the first discovery round; idempotent. Off Fly it does nothing. */
  start(): Promise<void> {
    return this.peers.start();
  }

  /** Runs one discovery round now, outside the timer (tests; an operator's "refresh"). */
  discoverNow(): Promise<void> {
    return this.peers.discoverNow();
  }

  /** Stops discovery, tells every peer this Machine now has no streams, then closes the private port. */
  stop(): Promise<void> {
    this.stopPromise ??= this.stopOnce();
    return this.stopPromise;
  }

  private async stopOnce(): Promise<void> {
    const stopping = this.peers.stop();
    this.unsubscribe();
    await stopping;
    this.feed.clear();
  }

  /**
   * Stops at once without telling peers, as a crash would (tests and the benchmark use it to kill a
   * Machine in-process): timers stop, the private port closes and drops its connections.
   */
  async abort(): Promise<void> {
    this.stopPromise ??= Promise.resolve();
    const aborting = this.peers.abort();
    this.unsubscribe();
    await aborting;
  }

  private localChanged(): void {
    if (this.peers.stopped) return;
    this.self.update(this.ownStreams());
    this.feed.changed();
    this.peers.selfChanged();
  }

  private ownStreams(): Snapshot['streams'] {
    const streams = cappedStreams(this.opts.source.list(), this.opts.limits.maxViewersPerStream);
    return this.thumbnails === null ? streams : withOwnThumbnails(streams, this.thumbnails);
  }

  private peersChanged(): void {
    this.feed.changed();
    for (const listener of [...this.peerListeners]) listener();
  }
}
