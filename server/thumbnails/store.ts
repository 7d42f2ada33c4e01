import { checkThumbnail, type ThumbnailType } from './image.ts';

/** One stored thumbnail: the image, its type by its bytes, and its version. */
export interface Thumbnail {
  /** Grows with every thumbnail this Machine stores (ms since the epoch, bumped past the last one). */
  version: number;
  type: ThumbnailType;
  bytes: Buffer;
}

export interface StoreLimits {
  /** THUMBNAIL_MAX_BYTES: larger is refused (413). */
  maxBytes: number;
  /** THUMBNAIL_MIN_INTERVAL_MS: a stream stores at most one thumbnail per interval (429). */
  minIntervalMs: number;
}

export type PutResult =
  | { ok: true; version: number }
  | { ok: false; status: 413 | 415; error: string }
  | { ok: false; status: 429; error: string; retryAfterMs: number };

/**
 * A version after `last` that also says when: the clock in ms, or one more than the last version when
 * the clock has not moved on (or went back). Versions from different Machines and boots therefore
 * rarely meet, and never go down on one Machine.
 */
export function nextVersion(last: number, nowMs: number): number {
  return Math.max(last + 1, Math.floor(nowMs));
}

interface Entry {
  thumbnail: Thumbnail;
  storedAtMs: number;
}

/**
 * The latest thumbnail of each stream hosted on this Machine (its home), without I/O or clocks (time is
 * passed in). Bounded by the streams: one per stream, each at most `maxBytes`, dropped with its stream.
 */
export class ThumbnailStore {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private lastVersion = 0;

  constructor(readonly limits: StoreLimits) {}

  /** How long until `id` may store again: 0 when it may now. */
  waitMs(id: string, nowMs: number): number {
    const held = this.entries.get(id);
    if (held === undefined) return 0;
    return Math.max(0, held.storedAtMs + this.limits.minIntervalMs - nowMs);
  }

  /** Stores `bytes` as the stream's latest thumbnail if the rate and the image checks pass. */
  put(id: string, bytes: Buffer, nowMs: number): PutResult {
    const waitMs = this.waitMs(id, nowMs);
    if (waitMs > 0) {
      return {
        ok: false,
        status: 429,
        error: `at most one thumbnail per ${this.limits.minIntervalMs} ms per stream`,
        retryAfterMs: waitMs,
      };
    }
    const check = checkThumbnail(bytes, this.limits.maxBytes);
    if (!check.ok) return check;
    this.lastVersion = nextVersion(this.lastVersion, nowMs);
    const thumbnail = { version: this.lastVersion, type: check.type, bytes };
    this.entries.set(id, { thumbnail, storedAtMs: nowMs });
    this.emit();
    return { ok: true, version: thumbnail.version };
  }

  get(id: string): Thumbnail | undefined {
    return this.entries.get(id)?.thumbnail;
  }

  version(id: string): number | undefined {
    return this.entries.get(id)?.thumbnail.version;
  }

  /** Drops the thumbnails of streams `keep` rejects (they ended). */
  retain(keep: (id: string) => boolean): void {
    let dropped = false;
    for (const id of [...this.entries.keys()]) {
      if (!keep(id)) dropped = this.entries.delete(id) || dropped;
    }
    if (dropped) this.emit();
  }

  /** The streams that have a thumbnail. */
  ids(): IterableIterator<string> {
    return this.entries.keys();
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    let total = 0;
    for (const { thumbnail } of this.entries.values()) total += thumbnail.bytes.length;
    return total;
  }

  /** Called after each store or drop. Returns unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
