import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { ThumbnailLimits } from './limits.ts';
import { type PutResult, ThumbnailStore } from './store.ts';

/** The thumbnails' settings: `config.thumbnails` (both thumbnail plugins take it). */
export interface ThumbnailsOptions {
  /** THUMBNAIL_MAX_BYTES: the largest thumbnail, uploaded or fetched from a peer. */
  maxBytes: number;
  /** THUMBNAIL_MIN_INTERVAL_MS: at most one new thumbnail per stream per interval. */
  minIntervalMs: number;
  /** THUMBNAIL_INTERVAL_MS: how often a creator's page sends one (the upload's answer says so). */
  intervalMs: number;
  /** THUMBNAIL_CACHE_MAX_BYTES: bound on the copies of peers' thumbnails this Machine holds. */
  cacheMaxBytes: number;
  limits: ThumbnailLimits;
}

export type PutOutcome = PutResult | { ok: false; status: 404; error: string };

/** What `app.thumbnails` offers: the latest thumbnail of each stream hosted here. */
export interface ThumbnailService {
  readonly store: ThumbnailStore;
  /** Whether the stream is live on this Machine (only those have thumbnails here). */
  isLive(streamId: string): boolean;
  /** A new thumbnail of a live stream hosted here, with an upload's checks (the demo streams use it). */
  put(streamId: string, bytes: Buffer): PutOutcome;
}

declare module 'fastify' {
  interface FastifyInstance {
    thumbnails: ThumbnailService;
  }
}

export const NOT_LIVE_HERE = 'no live stream with that id on this Machine';

const thumbnails: FastifyPluginAsync<ThumbnailsOptions> = async (app, opts) => {
  const { streams } = app;
  const store = new ThumbnailStore({ maxBytes: opts.maxBytes, minIntervalMs: opts.minIntervalMs });
  const isLive = (id: string) => streams.list().some((s) => s.id === id);
  // A stream's thumbnail goes with it: whatever is not live any more is dropped at each change.
  const unsubscribe = streams.onChange(() => {
    const live = new Set(streams.list().map((s) => s.id));
    store.retain((id) => live.has(id));
  });
  app.decorate('thumbnails', {
    store,
    isLive,
    put: (streamId: string, bytes: Buffer): PutOutcome =>
      isLive(streamId) ? store.put(streamId, bytes, Date.now()) : { ok: false, status: 404, error: NOT_LIVE_HERE },
  } satisfies ThumbnailService);
  app.addHook('onClose', async () => {
    unsubscribe();
  });
};

/**
 * Adds `app.thumbnails`: the home's latest thumbnail of each of its streams, dropped with the stream.
 * Sharing them (the upload and read routes, the directory's versions, peers' copies) is the
 * `thumbnail-sharing` plugin, registered after the directory; this part comes before the demo streams,
 * which store theirs here.
 */
export const thumbnailsPlugin = fp(thumbnails, { name: 'thumbnails', fastify: '5.x', dependencies: ['streams'] });
