import { RELAY_READINESS, type RelayReadiness } from '../../shared/directory-api.ts';
import { isMachineId } from '../../shared/machine-id.ts';
import { isRegionCode } from '../../shared/region.ts';
import type { StreamSummary } from '../streams/source.ts';
import { MAX_SNAPSHOT_TEXT_CHARS } from './limits.ts';

/** What one Machine tells its peers about itself: served by the peer API, pushed on change. */
export interface Snapshot {
  machineId: string;
  region: string;
  /** New at every start; ULIDs, so a later boot sorts after an earlier one. */
  bootId: string;
  /** Increases on every change within one boot. */
  version: number;
  streams: StreamSummary[];
  /** Its relay readiness (server/relay/); absent from a Machine that has not reported one. */
  relay?: RelayReadiness;
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

export type ParseResult = { ok: true; snapshot: Snapshot } | { ok: false; error: string };

const BOOT_ID = /^[0-9A-Za-z_-]{1,64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, allowEmpty = false): value is string {
  return typeof value === 'string' && value.length <= MAX_SNAPSHOT_TEXT_CHARS && (allowEmpty || value.length > 0);
}

function parseStream(value: unknown, index: number): StreamSummary | string {
  if (!isObject(value)) return `streams[${index}] must be an object`;
  const { id, title, creator, viewers, startedAt } = value;
  if (!text(id)) return `streams[${index}].id must be a non-empty string of at most ${MAX_SNAPSHOT_TEXT_CHARS} chars`;
  if (!text(title, true)) return `streams[${index}].title must be a string of at most ${MAX_SNAPSHOT_TEXT_CHARS} chars`;
  if (!text(creator, true))
    return `streams[${index}].creator must be a string of at most ${MAX_SNAPSHOT_TEXT_CHARS} chars`;
  if (!Number.isSafeInteger(viewers) || (viewers as number) < 0)
    return `streams[${index}].viewers must be a whole number >= 0`;
  if (typeof startedAt !== 'number' || !Number.isFinite(startedAt) || startedAt < 0)
    return `streams[${index}].startedAt must be ms since the epoch`;
  // Copy only the known fields: a peer cannot smuggle extra data into our public API.
  return { id, title, creator, viewers: viewers as number, startedAt };
}

/** Validates a snapshot received from a peer (pushed or fetched); returns a short reason when invalid. */
export function parseSnapshot(value: unknown): ParseResult {
  if (!isObject(value)) return { ok: false, error: 'snapshot must be a JSON object' };
  const { machineId, region, bootId, version, streams, relay } = value;
  if (!isMachineId(machineId)) return { ok: false, error: 'machineId must be 14 lowercase hex chars' };
  // '' is a Machine off Fly (no FLY_REGION).
  if (region !== '' && !isRegionCode(region)) return { ok: false, error: 'region must be a region code' };
  if (typeof bootId !== 'string' || !BOOT_ID.test(bootId))
    return { ok: false, error: 'bootId must be 1-64 letters, digits, _ or -' };
  if (!Number.isSafeInteger(version) || (version as number) < 0)
    return { ok: false, error: 'version must be a whole number >= 0' };
  if (!Array.isArray(streams)) return { ok: false, error: 'streams must be an array' };
  if (relay !== undefined && !RELAY_READINESS.includes(relay as RelayReadiness))
    return { ok: false, error: 'relay must be ok, down or off' };
  const parsed: StreamSummary[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < streams.length; i++) {
    const stream = parseStream(streams[i], i);
    if (typeof stream === 'string') return { ok: false, error: stream };
    if (ids.has(stream.id)) return { ok: false, error: `streams[${i}].id is a duplicate` };
    ids.add(stream.id);
    parsed.push(stream);
  }
  const snapshot: Snapshot = { machineId, region, bootId, version: version as number, streams: parsed };
  if (relay !== undefined) snapshot.relay = relay as RelayReadiness;
  return { ok: true, snapshot };
}
