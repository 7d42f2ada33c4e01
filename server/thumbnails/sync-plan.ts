/** A stream hosted by a peer, with the thumbnail version its home advertises (none yet: undefined). */
export interface AdvertisedStream {
  id: string;
  machineId: string;
  thumbnail?: number;
}

/** Which version of a stream's thumbnail this Machine holds a copy of, and from which home. */
export interface HeldVersion {
  home: string;
  version: number;
}

/**
 * A version this Machine failed to get: `attempts` failed fetches, or Infinity when it is never to be
 * fetched again (the peer's answer was refused, or the copy was evicted to keep the cache in bounds).
 */
export interface Setback extends HeldVersion {
  attempts: number;
}

export interface SyncInput {
  streams: readonly AdvertisedStream[];
  held: ReadonlyMap<string, HeldVersion>;
  /** Streams whose fetch is on the wire: never two at once for one stream. */
  busy: ReadonlySet<string>;
  setbacks: ReadonlyMap<string, Setback>;
  maxAttempts: number;
}

export interface SyncPlan {
  /** Newer versions to fetch from their homes. */
  fetch: AdvertisedStream[];
  /** Copies to drop: the stream ended, moved to another home, or its home has no thumbnail any more. */
  drop: string[];
  /** Setbacks of streams no longer advertised, to forget. */
  forget: string[];
}

/**
 * What to fetch and what to drop so this Machine's copies follow what every home advertises, without
 * I/O (the mirror does that). A copy is fetched when its home advertises a newer version than the one
 * held, unless that version is already being fetched or has had its setbacks.
 */
export function planSync(input: SyncInput): SyncPlan {
  const advertised = new Map(input.streams.map((s) => [s.id, s]));
  const fetch: AdvertisedStream[] = [];
  for (const stream of input.streams) {
    const version = stream.thumbnail;
    if (version === undefined || input.busy.has(stream.id)) continue;
    const held = input.held.get(stream.id);
    if (held?.home === stream.machineId && held.version >= version) continue;
    const setback = input.setbacks.get(stream.id);
    const givenUp =
      setback?.home === stream.machineId && setback.version >= version && setback.attempts >= input.maxAttempts;
    if (!givenUp) fetch.push(stream);
  }
  const drop: string[] = [];
  for (const [id, held] of input.held) {
    const stream = advertised.get(id);
    if (stream === undefined || stream.machineId !== held.home || stream.thumbnail === undefined) drop.push(id);
  }
  const forget = [...input.setbacks.keys()].filter((id) => !advertised.has(id));
  return { fetch, drop, forget };
}
