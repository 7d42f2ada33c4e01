import type { FastifyBaseLogger } from 'fastify';
import { PeerResponseTooLargeError } from '../directory/peer-client.ts';
import type { PeerFetch } from '../directory/peer-link.ts';
import type { ThumbnailCache } from './cache.ts';
import type { ThumbnailLimits } from './limits.ts';
import {
  type PeerThumbnailAnswer,
  type PeerThumbnailResponse,
  readPeerThumbnail,
  thumbnailEtag,
} from './peer-answer.ts';
import { thumbnailPeerPath } from './peer-route.ts';
import { type AdvertisedStream, type HeldVersion, planSync, type Setback } from './sync-plan.ts';

/** What the mirror needs of the directory. */
export interface MirrorDirectory {
  peerStreams(): AdvertisedStream[];
  peerFetch(id: string, path: string, opts: PeerFetch): Promise<PeerThumbnailResponse>;
  thumbnailsChanged(which: 'copies'): void;
}

export interface MirrorOptions {
  directory: MirrorDirectory;
  cache: ThumbnailCache;
  /** THUMBNAIL_MAX_BYTES: a peer's answer is held to the upload's limit. */
  maxBytes: number;
  limits: ThumbnailLimits;
  log: FastifyBaseLogger;
}

export interface MirrorCounters {
  fetches: number;
  /** Image bytes received (bodies of 200 answers). */
  fetchedBytes: number;
  fetchesNotModified: number;
  fetchesFailed: number;
  /** Answers refused: oversized, not JPEG/WebP, no version. */
  refused: number;
  evicted: number;
  dropped: number;
}

/** Wanted: accept both, the home answers with what it has. */
const ACCEPT = 'image/webp, image/jpeg';

/**
 * Keeps this Machine's copies of peers' thumbnails in step with what their homes advertise: whenever a
 * peer's snapshot changes, fetches each newer version over the private peer API (conditional, a few at a
 * time, never two at once for one stream), checks it like an upload, and drops the copies of streams that
 * ended. The rules of what to fetch live in sync-plan.ts.
 */
export class ThumbnailMirror {
  readonly counters: MirrorCounters = {
    fetches: 0,
    fetchedBytes: 0,
    fetchesNotModified: 0,
    fetchesFailed: 0,
    refused: 0,
    evicted: 0,
    dropped: 0,
  };
  private readonly busy = new Set<string>();
  private readonly setbacks = new Map<string, Setback>();
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: MirrorOptions) {}

  /** Something peers advertise may have changed: plan again on the next turn (bursts coalesce). */
  sync(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.run();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
  }

  private run(): void {
    const { cache, directory, limits } = this.opts;
    const held = new Map<string, HeldVersion>();
    for (const id of cache.ids()) {
      const copy = cache.peek(id)!;
      held.set(id, { home: copy.home, version: copy.version });
    }
    const plan = planSync({
      streams: directory.peerStreams(),
      held,
      busy: this.busy,
      setbacks: this.setbacks,
      maxAttempts: limits.maxFetchAttempts,
    });
    for (const id of plan.forget) this.setbacks.delete(id);
    let dropped = false;
    for (const id of plan.drop) {
      if (cache.drop(id)) {
        this.counters.dropped++;
        dropped = true;
      }
    }
    if (dropped) directory.thumbnailsChanged('copies');
    for (const stream of plan.fetch) {
      if (this.busy.size >= limits.maxConcurrentFetches) break;
      void this.fetch(stream);
    }
  }

  private async fetch(stream: AdvertisedStream): Promise<void> {
    const { cache, directory, limits, maxBytes } = this.opts;
    this.busy.add(stream.id);
    this.counters.fetches++;
    const held = cache.peek(stream.id);
    let answer: PeerThumbnailAnswer;
    try {
      const res = await directory.peerFetch(stream.machineId, thumbnailPeerPath(stream.id), {
        timeoutMs: limits.peerTimeoutMs,
        maxResponseBytes: maxBytes,
        accept: ACCEPT,
        ...(held?.home === stream.machineId && { ifNoneMatch: thumbnailEtag(held.version) }),
      });
      this.counters.fetchedBytes += res.bytes.length;
      answer = readPeerThumbnail(res, maxBytes);
    } catch (err) {
      answer =
        err instanceof PeerResponseTooLargeError
          ? { kind: 'refused', reason: `a thumbnail must be at most ${maxBytes} bytes` }
          : { kind: 'failed', reason: (err as Error).message };
    } finally {
      this.busy.delete(stream.id);
    }
    if (this.stopped) return;
    this.apply(stream, answer);
    this.sync();
  }

  private apply(stream: AdvertisedStream, answer: PeerThumbnailAnswer): void {
    const { cache, directory, log, limits } = this.opts;
    const advertised = stream.thumbnail!;
    const home = stream.machineId;
    switch (answer.kind) {
      case 'fresh': {
        const held = cache.peek(stream.id);
        if (held?.home === home && held.version >= answer.version) break;
        const evicted = cache.put(stream.id, { home, version: answer.version, type: answer.type, bytes: answer.bytes });
        for (const gone of evicted) {
          // Not fetched again until its home has a newer one, or the cache would churn at its bound.
          this.setbacks.set(gone.id, { home: gone.copy.home, version: gone.copy.version, attempts: Infinity });
          this.counters.evicted++;
        }
        directory.thumbnailsChanged('copies');
        break;
      }
      case 'not-modified':
        this.counters.fetchesNotModified++;
        break;
      case 'missing':
        break;
      case 'refused':
        this.counters.refused++;
        this.setbacks.set(stream.id, { home, version: advertised, attempts: Infinity });
        log.warn(
          { peer: home, stream: stream.id, version: advertised, reason: answer.reason },
          'thumbnails: refused a thumbnail from a peer',
        );
        return;
      case 'failed': {
        this.counters.fetchesFailed++;
        const prev = this.setbacks.get(stream.id);
        const attempts = (prev?.home === home && prev.version === advertised ? prev.attempts : 0) + 1;
        this.setbacks.set(stream.id, { home, version: advertised, attempts });
        log.debug(
          { peer: home, stream: stream.id, attempts, err: answer.reason },
          'thumbnails: fetch from a peer failed',
        );
        if (attempts < limits.maxFetchAttempts) this.retryLater();
        return;
      }
    }
    // The home answered but what it has is still older than it advertised (or gone): asking again would
    // get the same answer, so this version is given up; its next one is fetched as usual.
    const now = cache.peek(stream.id);
    if (now?.home !== home || now.version < advertised) {
      this.setbacks.set(stream.id, { home, version: advertised, attempts: Infinity });
    } else {
      this.setbacks.delete(stream.id);
    }
  }

  private retryLater(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.sync();
    }, this.opts.limits.retryDelayMs);
    this.retryTimer.unref();
  }
}
