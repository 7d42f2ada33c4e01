import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { etagMatches } from '../directory/peer-api.ts';
import { STREAM_ID_PATTERN } from '../streams/registry.ts';
import { thumbnailEtag } from './peer-answer.ts';
import type { ThumbnailStore } from './store.ts';

/** Where a peer asks this Machine for the thumbnail of a stream it hosts, on the private peer API. */
export const THUMBNAIL_PEER_PREFIX = '/internal/thumbnails/';

export function thumbnailPeerPath(streamId: string): string {
  return `${THUMBNAIL_PEER_PREFIX}${encodeURIComponent(streamId)}`;
}

const Params = Type.Object({ id: Type.String({ pattern: STREAM_ID_PATTERN.source }) });

/**
 * `GET /internal/thumbnails/<id>` on the private peer API: this Machine's own latest thumbnail of a stream
 * it hosts, with its version as etag; `If-None-Match` with it -> 304; none -> 404. Registered by the
 * directory behind the peer API's check of the caller.
 */
export function peerThumbnailRoutes(store: ThumbnailStore): FastifyPluginAsync {
  return async (api) => {
    api.get<{ Params: { id: string } }>(
      `${THUMBNAIL_PEER_PREFIX}:id`,
      { schema: { params: Params } },
      async (request, reply) => {
        const thumbnail = store.get(request.params.id);
        if (thumbnail === undefined) return reply.code(404).send({ error: 'no thumbnail for this stream here' });
        const etag = thumbnailEtag(thumbnail.version);
        reply.header('etag', etag).header('cache-control', 'no-cache');
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
        return reply.type(thumbnail.type).send(thumbnail.bytes);
      },
    );
  };
}
