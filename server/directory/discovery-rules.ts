/** The decisions of a discovery round, without I/O: when the next round runs, what a peer's answer means. */

import { backoffDelayMs, jitteredIntervalMs } from '../../shared/backoff.ts';
import type { PeerResponse } from './peer-client.ts';
import { parseSnapshot, type Snapshot, type SnapshotRules } from './snapshot.ts';

export interface RoundTiming {
  intervalMs: number;
  jitterRatio: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * Delay before the next discovery round. After failed DNS lookups: backoff by how many failed in a row.
 * Otherwise the jittered interval, counted from the start of the round that just ended (never negative).
 */
export function nextRoundDelayMs(
  consecutiveDnsFailures: number,
  elapsedMs: number,
  timing: RoundTiming,
  random: number,
): number {
  if (consecutiveDnsFailures > 0) {
    return backoffDelayMs(
      consecutiveDnsFailures - 1,
      { baseMs: timing.backoffBaseMs, maxMs: timing.backoffMaxMs },
      random,
    );
  }
  return Math.max(0, jitteredIntervalMs(timing.intervalMs, timing.jitterRatio, random) - elapsedMs);
}

export type FetchAnswer =
  | { kind: 'not-modified' }
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'failed'; error: string };

/**
 * What a peer's answer to a snapshot fetch means. 304 counts only when a snapshot was held (the fetch
 * was conditional); a 200 must carry a valid snapshot of the Machine that was asked (a reused address
 * may now belong to another one).
 */
export function readFetchAnswer(
  res: PeerResponse,
  heldSnapshot: boolean,
  peerId: string,
  rules: SnapshotRules,
): FetchAnswer {
  if (res.status === 304 && heldSnapshot) return { kind: 'not-modified' };
  if (res.status !== 200) {
    return { kind: 'failed', error: `snapshot fetch answered ${res.status}: ${res.body.slice(0, 200)}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body) as unknown;
  } catch (err) {
    return { kind: 'failed', error: (err as Error).message };
  }
  const parsed = parseSnapshot(body, rules);
  if (!parsed.ok) return { kind: 'failed', error: `bad snapshot: ${parsed.error}` };
  if (parsed.snapshot.machineId !== peerId) {
    return { kind: 'failed', error: `address answered as ${parsed.snapshot.machineId}` };
  }
  return { kind: 'snapshot', snapshot: parsed.snapshot };
}

/** How the log reports a peer's first failed fetch in an outage: one not seen yet is normal at start-up. */
export function unreachableLog(neverSeen: boolean): { level: 'info' | 'warn'; message: string } {
  return neverSeen
    ? { level: 'info', message: 'directory: peer not reachable yet' }
    : { level: 'warn', message: 'directory: cannot fetch a peer snapshot' };
}
