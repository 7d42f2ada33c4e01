/**
 * Limits of the NATS engine, each with its unit in the name: defaults of `config.relay.limits` (tests
 * shorten them). Ports, payload and write deadline are settings of their own (NATS_* variables).
 */
export interface RelayLimits {
  /** Restart delay after nats-server exits on its own: doubles from base up to max (with jitter). */
  restartBackoffBaseMs: number;
  restartBackoffMaxMs: number;
  /** A server that ran this long before exiting starts again from the base delay. */
  stableAfterMs: number;
  /** Shutdown: SIGTERM, then SIGKILL after this long. */
  stopTimeoutMs: number;
  /** How often the monitoring endpoint is read (readiness, metrics, the cluster shape). */
  monitorIntervalMs: number;
  /** Bound on one monitoring request. */
  monitorTimeoutMs: number;
  /** The first start waits this long for the directory's first membership, then starts without peers. */
  firstMembershipWaitMs: number;
  /** A wanted region still unconnected after this long restarts the server with it configured. */
  gatewayGraceMs: number;
  /** The app's client: delay between reconnect attempts, and bound on one connect. */
  clientReconnectWaitMs: number;
  clientConnectTimeoutMs: number;
  /** One nats-server log line of each kind per window; repeats are counted, not printed. */
  logRepeatWindowMs: number;
  /** The cluster shape is logged once it has held this long (formation passes through partial shapes). */
  shapeSettleMs: number;
  /** Per DNS try, and tries per query, for `<region>.<app>.internal`. */
  dnsTimeoutMs: number;
  dnsTries: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  restartBackoffBaseMs: 250,
  restartBackoffMaxMs: 30_000,
  stableAfterMs: 10_000,
  stopTimeoutMs: 5000,
  monitorIntervalMs: 1000,
  monitorTimeoutMs: 1000,
  firstMembershipWaitMs: 3000,
  gatewayGraceMs: 15_000,
  clientReconnectWaitMs: 250,
  clientConnectTimeoutMs: 2000,
  logRepeatWindowMs: 30_000,
  shapeSettleMs: 1500,
  dnsTimeoutMs: 1000,
  dnsTries: 2,
};
