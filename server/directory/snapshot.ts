import { decodeTime } from 'ulid';
import { RELAY_READINESS, type RelayedStreamLoad, type RelayReadiness } from '../../shared/directory-api.ts';
import { isObject } from '../../shared/guards.ts';
import { isMachineId } from '../../shared/machine-id.ts';
import { isRegionCode } from '../../shared/region.ts';
import { validateNewStream } from '../../shared/stream-fields.ts';
import { isStreamId } from '../../shared/stream-id.ts';
import type { StreamSummary } from '../streams/source.ts';
import { parseEpoch, startedAtProblem } from './claims.ts';
import type { DirectoryLimits } from './limits.ts';

/** One stream of a snapshot: the relay's summary, plus the version of its thumbnail once its home has one. */
export interface SnapshotStream extends StreamSummary {
  thumbnail?: number;
}

/** What one Machine tells its peers about itself: served by the peer API, pushed on change. */
export interface Snapshot {
  machineId: string;
  region: string;
  /** New at every start; ULIDs, so a later boot sorts after an earlier one. */
  bootId: string;
  /** Increases on every change within one boot. */
  version: number;
  streams: SnapshotStream[];
  /** Whether it can take relay work (its NATS engine); absent from a Machine that has not said. */
  relay?: RelayReadiness;
  /** Its open stream sockets; absent from a Machine that has not said. */
  connections?: number;
  /** The streams it relays, with its viewers of each; absent from a Machine that has not said. */
  relayed?: RelayedStreamLoad[];
}

/** The ordering key of a snapshot; kept after a Machine is forgotten so its late messages stay ignored. */
export interface SnapshotOrder {
  bootId: string;
  version: number;
}

/**
 * Orders two snapshots of the same Machine: a later boot wins whatever its version (versions restart at
 * each boot), then the higher version. Positive when `a` is newer, 0 when they are the same snapshot.
 */
export function compareOrder(a: SnapshotOrder, b: SnapshotOrder): number {
  if (a.bootId !== b.bootId) return a.bootId > b.bootId ? 1 : -1;
  return a.version - b.version;
}

/** True when `candidate` should replace what is held (nothing held: always). Duplicates are not newer. */
export function isNewer(candidate: SnapshotOrder, held: SnapshotOrder | null | undefined): boolean {
  return held == null || compareOrder(candidate, held) > 0;
}

/** Strong ETag of a snapshot: (bootId, version) names its content exactly. */
export function snapshotEtag(order: SnapshotOrder): string {
  return `"${order.bootId}.${order.version}"`;
}

/**
 * A stream's thumbnail version as its home makes them (absent while it has none): the time the home
 * stored it in ms, bumped past its last one, so within the home's boot and now, give or take the clock skew.
 */
export function isThumbnailVersion(
  value: unknown,
  bootMs: number,
  rules: Pick<SnapshotRules, 'nowMs' | 'clockSkewMs'>,
): value is number | undefined {
  if (value === undefined) return true;
  return (
    Number.isSafeInteger(value) &&
    (value as number) >= bootMs - rules.clockSkewMs &&
    (value as number) <= rules.nowMs + rules.clockSkewMs
  );
}

export type ParseResult = { ok: true; snapshot: Snapshot } | { ok: false; error: string };

/** What a received snapshot is checked against: this Machine's clock and the app's limits. */
export interface SnapshotRules {
  nowMs: number;
  /** At most this many streams (MAX_STREAMS: no Machine of the app can host more). */
  maxStreams: number;
  maxViewersPerStream: number;
  /** How far a peer's clock may run ahead of this one (or a stream start precede its boot). */
  clockSkewMs: number;
}

/** The rules as of `nowMs`, from the directory's limits. */
export function snapshotRules(
  limits: Pick<DirectoryLimits, 'maxStreamsPerSnapshot' | 'maxViewersPerStream' | 'peerClockSkewMs'>,
  nowMs: number,
): SnapshotRules {
  return {
    nowMs,
    maxStreams: limits.maxStreamsPerSnapshot,
    maxViewersPerStream: limits.maxViewersPerStream,
    clockSkewMs: limits.peerClockSkewMs,
  };
}

/** The time in a boot id (a ULID), or null when it is not one. */
export function bootTimeMs(bootId: unknown): number | null {
  if (!isStreamId(bootId)) return null;
  try {
    return decodeTime(bootId);
  } catch {
    // Past the largest time a ULID can carry (first character above 7).
    return null;
  }
}

/**
 * One stream entry, held to what `POST /api/streams` accepts (the fields of a stream this app made):
 * a ULID id, the title and creator rules, a viewer count, an epoch, and a start time a real stream can
 * have (claims.ts: a stream that moved in keeps the start it had before this Machine booted).
 */
function parseStream(value: unknown, at: string, bootMs: number, rules: SnapshotRules): SnapshotStream | string {
  if (!isObject(value)) return `${at} must be an object`;
  const { id, title, creator, viewers, startedAt, thumbnail } = value;
  const idMs = bootTimeMs(id);
  if (idMs === null) return `${at}.id must be a stream id (a ULID)`;
  const fields = validateNewStream({ title, creator });
  if (!fields.ok) return `${at}: ${fields.error}`;
  // The home Machine stores them trimmed: anything else was not made by this app.
  if (fields.value.title !== title) return `${at}.title must not start or end with spaces`;
  if (fields.value.creator !== creator) return `${at}.creator must not start or end with spaces`;
  if (!Number.isSafeInteger(viewers) || (viewers as number) < 0 || (viewers as number) > rules.maxViewersPerStream)
    return `${at}.viewers must be a whole number from 0 to ${rules.maxViewersPerStream}`;
  const epoch = parseEpoch(value.epoch);
  if (typeof epoch === 'string') return `${at}.epoch ${epoch}`;
  const start = startedAtProblem(epoch, startedAt, {
    bootMs,
    idMs,
    nowMs: rules.nowMs,
    clockSkewMs: rules.clockSkewMs,
  });
  if (start !== null) return `${at}.startedAt ${start}`;
  const { homeViewers } = value;
  if (
    homeViewers !== undefined &&
    (!Number.isSafeInteger(homeViewers) || (homeViewers as number) < 0 || (homeViewers as number) > (viewers as number))
  )
    return `${at}.homeViewers must be a whole number from 0 to its viewers`;
  if (!isThumbnailVersion(thumbnail, bootMs, rules))
    return `${at}.thumbnail must be a thumbnail version: ms since the epoch, after its Machine booted and not in the future`;
  // Copy only the known fields: a peer cannot smuggle extra data into our public API.
  return {
    id: id as string,
    title: fields.value.title,
    creator: fields.value.creator,
    viewers: viewers as number,
    startedAt: startedAt as number,
    epoch,
    ...(homeViewers !== undefined && { homeViewers: homeViewers as number }),
    ...(thumbnail !== undefined && { thumbnail }),
  };
}

/** Validates a snapshot received from a peer (pushed or fetched); returns a short reason when invalid. */
export function parseSnapshot(value: unknown, rules: SnapshotRules): ParseResult {
  if (!isObject(value)) return { ok: false, error: 'snapshot must be a JSON object' };
  const { machineId, region, bootId, version, streams, relay } = value;
  if (!isMachineId(machineId)) return { ok: false, error: 'machineId must be 14 lowercase hex chars' };
  // '' is a Machine off Fly (no FLY_REGION).
  if (region !== '' && !isRegionCode(region)) return { ok: false, error: 'region must be a region code' };
  const bootMs = bootTimeMs(bootId);
  if (bootMs === null) return { ok: false, error: 'bootId must be a ULID' };
  // A boot id from the future would outrank every real boot of that Machine for as long as it is listed.
  if (bootMs > rules.nowMs + rules.clockSkewMs) return { ok: false, error: 'bootId must not be from the future' };
  if (!Number.isSafeInteger(version) || (version as number) < 0)
    return { ok: false, error: 'version must be a whole number >= 0' };
  if (!Array.isArray(streams)) return { ok: false, error: 'streams must be an array' };
  if (relay !== undefined && !RELAY_READINESS.includes(relay as RelayReadiness))
    return { ok: false, error: 'relay must be ok, down or off' };
  if (streams.length > rules.maxStreams)
    return { ok: false, error: `streams must list at most ${rules.maxStreams} (MAX_STREAMS) streams` };
  const parsed: SnapshotStream[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < streams.length; i++) {
    const stream = parseStream(streams[i], `streams[${i}]`, bootMs, rules);
    if (typeof stream === 'string') return { ok: false, error: stream };
    if (ids.has(stream.id)) return { ok: false, error: `streams[${i}].id is a duplicate` };
    ids.add(stream.id);
    parsed.push(stream);
  }
  const snapshot: Snapshot = {
    machineId,
    region,
    bootId: bootId as string,
    version: version as number,
    streams: parsed,
  };
  if (relay !== undefined) snapshot.relay = relay as RelayReadiness;
  const load = parseLoad(value.connections, value.relayed, rules);
  if (typeof load === 'string') return { ok: false, error: load };
  Object.assign(snapshot, load);
  return { ok: true, snapshot };
}

/** A Machine's relay load: optional, bounded like stream entries (MAX_STREAMS relayed, counted viewers). */
function parseLoad(
  connections: unknown,
  relayed: unknown,
  rules: SnapshotRules,
): Pick<Snapshot, 'connections' | 'relayed'> | string {
  const out: Pick<Snapshot, 'connections' | 'relayed'> = {};
  const maxConnections = rules.maxViewersPerStream * Math.max(1, rules.maxStreams) * 2;
  if (connections !== undefined) {
    if (!Number.isSafeInteger(connections) || (connections as number) < 0 || (connections as number) > maxConnections)
      return `connections must be a whole number from 0 to ${maxConnections}`;
    out.connections = connections as number;
  }
  if (relayed !== undefined) {
    if (!Array.isArray(relayed) || relayed.length > rules.maxStreams)
      return `relayed must be an array of at most ${rules.maxStreams} (MAX_STREAMS) streams`;
    const ids = new Set<string>();
    const list: RelayedStreamLoad[] = [];
    for (const [i, entry] of relayed.entries()) {
      if (!isObject(entry) || !isStreamId(entry.id) || ids.has(entry.id))
        return `relayed[${i}].id must be a stream id, listed once`;
      const { viewers } = entry;
      if (!Number.isSafeInteger(viewers) || (viewers as number) < 0 || (viewers as number) > rules.maxViewersPerStream)
        return `relayed[${i}].viewers must be a whole number from 0 to ${rules.maxViewersPerStream}`;
      ids.add(entry.id);
      list.push({ id: entry.id, viewers: viewers as number });
    }
    out.relayed = list;
  }
  return out;
}
