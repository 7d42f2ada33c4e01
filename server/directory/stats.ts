import type { MachineRecord } from './state.ts';

/** Totals since start, bumped by discovery, push and the peer API. */
export interface DirectoryCounters {
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
}

export const newDirectoryCounters = (): DirectoryCounters => ({
  rounds: 0,
  dnsFailures: 0,
  consecutiveDnsFailures: 0,
  lastDiscoveryOkMs: null,
  dnsQueries: 0,
  fetches: 0,
  fetchesNotModified: 0,
  fetchesFailed: 0,
  pushesSent: 0,
  pushesFailed: 0,
  pushesReceived: 0,
  pushesIgnored: 0,
  peerRequestsRefused: 0,
});

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
export interface DirectoryStats extends DirectoryCounters {
  enabled: boolean;
  stale: boolean;
  bootId: string;
  version: number;
  sseClients: number;
  /** Times the public view was merged and sorted: once per change, not per read. */
  viewBuilds: number;
  peers: PeerStats[];
}

/** Stale: discovery is on but has not succeeded yet, or its last DNS lookup failed. */
export function isStale(enabled: boolean, counters: Readonly<DirectoryCounters>): boolean {
  return enabled && (counters.lastDiscoveryOkMs === null || counters.consecutiveDnsFailures > 0);
}

export function peerStats(rec: Readonly<MachineRecord>): PeerStats {
  return {
    id: rec.id,
    region: rec.region,
    listed: rec.listed,
    shown: rec.snapshot !== null,
    failures: rec.failures,
    lastSeenMs: rec.lastSeenMs,
    streams: rec.snapshot?.streams.length ?? 0,
  };
}
