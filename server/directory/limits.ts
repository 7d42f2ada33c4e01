/**
 * Limits of the stream directory, each with its unit in the name. These are defaults; the plugin takes
 * overrides (tests and the benchmark shorten them). The discovery interval itself is config
 * (`DISCOVERY_INTERVAL_MS`).
 */
export interface DirectoryLimits {
  /** Whole-request bound on one peer fetch or push (connect + response). */
  peerTimeoutMs: number;
  /** Snapshot fetches in flight at once during one discovery round; a dead peer holds one slot at most. */
  maxConcurrentFetches: number;
  /** A listed Machine whose snapshot fetch fails this many times in a row is dropped with its streams. */
  maxFailedFetches: number;
  /** Per DNS try, and tries per query (Node's c-ares resolver options). */
  dnsTimeoutMs: number;
  dnsTries: number;
  /**
   * Each round's delay is the interval scaled by a random factor in [1 - r, 1 + r], so Machines that
   * started together do not poll each other in lockstep.
   */
  discoveryJitterRatio: number;
  /** Retry delay after a failed discovery round: doubles from base up to max. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A snapshot larger than this is refused (peer API body) or abandoned (fetch response). */
  maxSnapshotBytes: number;
  /** The peer API re-resolves `<app>.internal` for an unknown caller at most this often. */
  authRefreshMinIntervalMs: number;
  /** How long shutdown waits for the empty-snapshot push to reach peers. */
  shutdownPushTimeoutMs: number;
  /** A forgotten Machine's newest (bootId, version) is remembered this long to ignore its late messages. */
  tombstoneMs: number;
  /** SSE: comment line every this often, so proxies keep the stream open. */
  sseHeartbeatMs: number;
  /** SSE: clients per Machine; more get 503. */
  sseMaxClients: number;
  /** SSE: a client that lets this much pile up unsent is cut off (it reconnects and gets a fresh state). */
  sseMaxBufferedBytes: number;
  /** SSE `retry:` hint to browsers, in ms. */
  sseRetryMs: number;
  /** SSE: feeds one client (its address, as per-client limits key it) may hold open; more get 429. */
  sseMaxFeedsPerClient: number;
  /** Streams one peer snapshot may list: MAX_STREAMS, the most any Machine of the app can host. */
  maxStreamsPerSnapshot: number;
  /** Largest viewer count a peer snapshot may report for one stream. */
  maxViewersPerStream: number;
  /**
   * How far a peer's clock may run ahead of this one: a boot id whose time is later than now plus this,
   * or a stream that starts that much in the future (or that much before its Machine booted), is refused.
   */
  peerClockSkewMs: number;
  /**
   * Machine records the directory keeps (listed, shown, or remembered to ignore late messages): a
   * remembered one makes way for a new Machine; past that, new Machines are turned away.
   */
  maxMachines: number;
}

export const DEFAULT_DIRECTORY_LIMITS: DirectoryLimits = {
  peerTimeoutMs: 2000,
  maxConcurrentFetches: 8,
  maxFailedFetches: 3,
  discoveryJitterRatio: 0.1,
  dnsTimeoutMs: 1000,
  dnsTries: 2,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  maxSnapshotBytes: 512 * 1024,
  authRefreshMinIntervalMs: 1000,
  shutdownPushTimeoutMs: 1000,
  tombstoneMs: 10 * 60_000,
  sseHeartbeatMs: 15_000,
  sseMaxClients: 1000,
  sseMaxBufferedBytes: 256 * 1024,
  sseRetryMs: 3000,
  sseMaxFeedsPerClient: 8,
  maxStreamsPerSnapshot: 50,
  maxViewersPerStream: 1_000_000,
  peerClockSkewMs: 60_000,
  maxMachines: 1000,
};
