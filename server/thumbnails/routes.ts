import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { etagMatches } from '../directory/peer-api.ts';
import type { ThumbnailCache } from './cache.ts';
import { thumbnailEtag } from './peer-answer.ts';
import { NOT_LIVE_HERE } from './plugin.ts';
import { GetThumbnailSchema, PutThumbnailSchema } from './schemas.ts';

/** Browsers may reuse a thumbnail this long; a new one has a new version and the page asks for it by it. */
export const THUMBNAIL_MAX_AGE_S = 5;
export const THUMBNAIL_CACHE_CONTROL = `public, max-age=${THUMBNAIL_MAX_AGE_S}`;

/**
 * A page asks for a version (`?v=`) its feed named; a Machine of the region that does not hold it yet (the
 * page's feed came from another one) serves the older one it has, but no cache may keep that under the
 * newer version's URL.
 */
export function cacheControlFor(asked: string | undefined, held: number): string {
  return asked !== undefined && Number(asked) > held ? 'no-store' : THUMBNAIL_CACHE_CONTROL;
}

export interface ThumbnailRoutesOptions {
  maxBytes: number;
  intervalMs: number;
  cache: ThumbnailCache;
}

/** The publish token from `authorization: Bearer <token>`. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer ([^\s]+)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * `PUT /api/streams/:id/thumbnail` (the creator's page, sent to the home with fly-force-instance-id) and
 * `GET /api/streams/:id/thumbnail` (any Machine, from its own copy: an any-Machine path, never replayed).
 * An encapsulated context: its catch-all body parser hands the upload over as bytes, whatever its
 * content type, and is seen by no other route.
 */
export const thumbnailRoutes: FastifyPluginAsync<ThumbnailRoutesOptions> = async (app, opts) => {
  const { streams, thumbnails } = app;
  const { store } = thumbnails;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.put(
    '/api/streams/:id/thumbnail',
    { bodyLimit: opts.maxBytes, schema: PutThumbnailSchema },
    async (request, reply) => {
      const { id } = request.params;
      reply.header('cache-control', 'no-store');
      if (!thumbnails.isLive(id)) return reply.code(404).send({ error: NOT_LIVE_HERE });
      if (!streams.tokenMatches(id, bearerToken(request.headers.authorization))) {
        return reply.code(401).send({ error: 'missing or wrong publish token (send authorization: Bearer <token>)' });
      }
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const stored = store.put(id, bytes, Date.now());
      if (stored.ok) return { version: stored.version, intervalMs: opts.intervalMs };
      if (stored.status === 429) {
        return reply
          .code(429)
          .header('retry-after', String(Math.ceil(stored.retryAfterMs / 1000)))
          .send({ error: stored.error, retryAfterMs: stored.retryAfterMs });
      }
      return reply.code(stored.status).send({ error: stored.error });
    },
  );

  api.get('/api/streams/:id/thumbnail', { schema: GetThumbnailSchema }, async (request, reply) => {
    const { id } = request.params;
    const thumbnail = store.get(id) ?? opts.cache.get(id);
    if (thumbnail === undefined) {
      return reply.code(404).header('cache-control', 'no-store').send({ error: 'no thumbnail for this stream yet' });
    }
    const etag = thumbnailEtag(thumbnail.version);
    reply
      .header('etag', etag)
      .header('cache-control', cacheControlFor(request.query.v, thumbnail.version))
      .header('x-content-type-options', 'nosniff');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.type(thumbnail.type).send(thumbnail.bytes);
  });
};
