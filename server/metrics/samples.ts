/**
 * Turns what the stream relay and the directory report through their `stats()` into metric values.
 * Pure and defensive: a missing or malformed field yields undefined (that metric keeps its last value)
 * rather than a failed scrape.
 */

export interface StreamSample {
  liveStreams?: number;
  viewers?: number;
  framesSent?: number;
  framesSkipped?: number;
  chatMessages?: number;
}

export interface DirectorySample {
  /** Discovery rounds whose `.internal` DNS lookup failed. */
  discoveryFailures?: number;
  /** Peer snapshot fetches that failed. */
  peerFetchFailures?: number;
  /** Seconds since the directory last completed a discovery round (undefined before the first one). */
  stalenessSeconds?: number;
  stale?: boolean;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function field(stats: unknown, name: string): unknown {
  return typeof stats === 'object' && stats !== null ? (stats as Record<string, unknown>)[name] : undefined;
}

/** From `app.streams.stats()`. */
export function streamSample(stats: unknown): StreamSample {
  return {
    liveStreams: count(field(stats, 'liveStreams')),
    viewers: count(field(stats, 'viewers')),
    framesSent: count(field(stats, 'framesSent')),
    framesSkipped: count(field(stats, 'framesSkipped')),
    chatMessages: count(field(stats, 'chatMessages')),
  };
}

/** From `app.directory.stats()`, at `nowMs` (ms since the epoch). */
export function directorySample(stats: unknown, nowMs: number): DirectorySample {
  const lastOk = count(field(stats, 'lastDiscoveryOkMs'));
  const stale = field(stats, 'stale');
  return {
    discoveryFailures: count(field(stats, 'dnsFailures')),
    peerFetchFailures: count(field(stats, 'fetchesFailed')),
    stalenessSeconds: lastOk === undefined ? undefined : Math.max(0, nowMs - lastOk) / 1000,
    stale: typeof stale === 'boolean' ? stale : undefined,
  };
}
