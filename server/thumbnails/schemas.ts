import Type from 'typebox';
import { ErrorBody } from '../errors/error-body.ts';
import { STREAM_ID_PATTERN } from '../streams/registry.ts';

const Params = Type.Object({ id: Type.String({ pattern: STREAM_ID_PATTERN.source }) });

/** `PUT /api/streams/:id/thumbnail`: the body is the image itself, whatever its content type says. */
export const PutThumbnailSchema = {
  params: Params,
  response: {
    200: Type.Object({
      /** The stored thumbnail's version, as the directory will name it. */
      version: Type.Integer(),
      /** When to send the next one (THUMBNAIL_INTERVAL_MS). */
      intervalMs: Type.Integer(),
    }),
    '4xx': ErrorBody,
    429: Type.Object({ error: Type.String(), retryAfterMs: Type.Integer() }),
  },
};

/**
 * `GET /api/streams/:id/thumbnail?v=<version>`: `v` only keys browser caches; the newest held is served.
 * No response schema: the answer is an image (or `{"error"}`).
 */
export const GetThumbnailSchema = {
  params: Params,
  querystring: Type.Object({ v: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })) }),
};
