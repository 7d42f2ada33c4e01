import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { systemClock } from '../streams/clock.ts';
import { Announcer } from './announce.ts';
import { ThumbnailCache } from './cache.ts';
import { type MirrorCounters, ThumbnailMirror } from './mirror.ts';
import { peerThumbnailRoutes } from './peer-route.ts';
import type { ThumbnailsOptions } from './plugin.ts';
import { thumbnailRoutes } from './routes.ts';

export interface ThumbnailStats extends MirrorCounters {
  /** This Machine's own, one per stream it hosts that has one. */
  stored: number;
  storedBytes: number;
  /** Copies of peers' thumbnails, and their bytes (at most THUMBNAIL_CACHE_MAX_BYTES). */
  copies: number;
  copyBytes: number;
}

/** What `app.thumbnailSharing` offers: figures for tests and benchmarks. */
export interface ThumbnailSharing {
  stats(): ThumbnailStats;
}

declare module 'fastify' {
  interface FastifyInstance {
    thumbnailSharing: ThumbnailSharing;
  }
}

const sharing: FastifyPluginAsync<ThumbnailsOptions> = async (app, opts) => {
  const { directory } = app;
  const { store } = app.thumbnails;
  const cache = new ThumbnailCache(opts.cacheMaxBytes);
  const mirror = new ThumbnailMirror({
    directory,
    cache,
    maxBytes: opts.maxBytes,
    limits: opts.limits,
    log: app.log.child({ component: 'thumbnails' }),
  });

  directory.addPeerRoutes(peerThumbnailRoutes(store));
  directory.useThumbnails({ own: (id) => store.version(id), copy: (id, home) => cache.version(id, home) });
  const announce = new Announcer(opts.limits.announceIntervalMs, () => directory.thumbnailsChanged('own'), systemClock);
  const unsubscribeStore = store.onChange(() => announce.changed(store.ids()));
  const unsubscribePeers = directory.onPeersChange(() => mirror.sync());

  app.decorate('thumbnailSharing', {
    stats: () => ({
      stored: store.size,
      storedBytes: store.bytes,
      copies: cache.size,
      copyBytes: cache.bytes,
      ...mirror.counters,
    }),
  } satisfies ThumbnailSharing);
  await app.register(thumbnailRoutes, { maxBytes: opts.maxBytes, intervalMs: opts.intervalMs, cache });

  app.addHook('preClose', async () => {
    mirror.stop();
    announce.cancel();
    unsubscribeStore();
    unsubscribePeers();
  });
};

/**
 * Shares thumbnails: the upload (`PUT`) and read (`GET /api/streams/:id/thumbnail`) routes, the version
 * of each own thumbnail in this Machine's snapshot, the peer route that serves them, and this Machine's
 * copies of peers' ones (fetched when their homes advertise a new version, bounded, dropped with their
 * streams). Registered after the directory, whose peer API and snapshot it extends.
 */
export const thumbnailSharingPlugin = fp(sharing, {
  name: 'thumbnail-sharing',
  fastify: '5.x',
  dependencies: ['streams', 'thumbnails', 'directory'],
});
