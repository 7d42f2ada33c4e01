import type { Thumbnail } from './store.ts';

/** A peer's thumbnail as this Machine holds it: the image, its version, and the home it came from. */
export interface ThumbnailCopy extends Thumbnail {
  home: string;
}

/**
 * This Machine's copies of thumbnails of streams hosted elsewhere: the latest per stream, the total
 * bounded by `maxBytes` (THUMBNAIL_CACHE_MAX_BYTES). Past it, the least recently stored or served
 * copies go first. Pure bookkeeping: the mirror decides what to fetch and drop.
 */
export class ThumbnailCache {
  // A Map keeps insertion order: re-inserting on use keeps the least recently used first.
  private readonly copies = new Map<string, ThumbnailCopy>();
  private totalBytes = 0;

  constructor(readonly maxBytes: number) {}

  /** The copy, counted as used (it is served). */
  get(id: string): ThumbnailCopy | undefined {
    const copy = this.copies.get(id);
    if (copy !== undefined) {
      this.copies.delete(id);
      this.copies.set(id, copy);
    }
    return copy;
  }

  /** The copy, without counting a use. */
  peek(id: string): ThumbnailCopy | undefined {
    return this.copies.get(id);
  }

  /** The version held of `id`'s thumbnail from `home`, if any. */
  version(id: string, home: string): number | undefined {
    const copy = this.copies.get(id);
    return copy?.home === home ? copy.version : undefined;
  }

  /**
   * Holds `copy` as `id`'s latest (replacing any older one), then evicts the least recently used others
   * until the total fits. Returns the evicted ones; `copy` itself is never evicted (no copy is larger than
   * the cap: config keeps THUMBNAIL_CACHE_MAX_BYTES at least THUMBNAIL_MAX_BYTES).
   */
  put(id: string, copy: ThumbnailCopy): Array<{ id: string; copy: ThumbnailCopy }> {
    this.drop(id);
    this.copies.set(id, copy);
    this.totalBytes += copy.bytes.length;
    const evicted: Array<{ id: string; copy: ThumbnailCopy }> = [];
    for (const [oldId, old] of this.copies) {
      if (this.totalBytes <= this.maxBytes || oldId === id) break;
      this.copies.delete(oldId);
      this.totalBytes -= old.bytes.length;
      evicted.push({ id: oldId, copy: old });
    }
    return evicted;
  }

  drop(id: string): boolean {
    const held = this.copies.get(id);
    if (held === undefined) return false;
    this.copies.delete(id);
    this.totalBytes -= held.bytes.length;
    return true;
  }

  ids(): string[] {
    return [...this.copies.keys()];
  }

  get size(): number {
    return this.copies.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }
}
