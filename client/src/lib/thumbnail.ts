/**
 * Thumbnails, both sides of the page: the creator's page grabs a still of what it encodes and sends it
 * to the stream's home (`PUT /api/streams/<id>/thumbnail`), the home page shows each stream's latest
 * (`GET`, from whichever Machine served the page). The decisions here are pure; the DOM work is in
 * pages/live/thumbnail-uploader.ts and pages/home/stream-thumbnail.tsx.
 */
import { isCount, isObject } from '../../../shared/guards.ts';

/** Stills are this wide (the height follows the picture: 180 for 16:9). */
export const THUMBNAIL_WIDTH_PX = 320;
/** The server's cap (THUMBNAIL_MAX_BYTES' default): a still is made smaller until it fits. */
export const THUMBNAIL_MAX_BYTES = 64 * 1024;
/** Until the server says otherwise (its answer names THUMBNAIL_INTERVAL_MS). */
export const DEFAULT_THUMBNAIL_INTERVAL_MS = 10_000;
/** WebP where the browser encodes it (smaller), else JPEG; each at falling quality until it fits. */
export const STILL_TYPES = ['image/webp', 'image/jpeg'] as const;
export const STILL_QUALITIES = [0.8, 0.6, 0.4, 0.25] as const;

export function thumbnailPath(streamId: string): string {
  return `/api/streams/${encodeURIComponent(streamId)}/thumbnail`;
}

/** The URL of one version: a new version is a new URL, so no cache hands back the old picture. */
export function thumbnailUrl(streamId: string, version: number): string {
  return `${thumbnailPath(streamId)}?v=${version}`;
}

/** Height of a still `THUMBNAIL_WIDTH_PX` wide of a `width` x `height` picture (at least 1). */
export function stillHeight(width: number, height: number): number {
  return width > 0 && height > 0 ? Math.max(1, Math.round((THUMBNAIL_WIDTH_PX * height) / width)) : 180;
}

/** Encodes the still as `type` at `quality`; null (or a Blob of another type) when the browser cannot. */
export type StillEncoder = (type: string, quality: number) => Promise<Blob | null>;

/**
 * The first encoding that the browser really produced in the asked type and that fits `maxBytes`:
 * WebP first (a browser without a WebP encoder hands back a PNG, which is skipped), then JPEG, each at
 * falling quality. Null when nothing fits.
 */
export async function encodeStill(encode: StillEncoder, maxBytes = THUMBNAIL_MAX_BYTES): Promise<Blob | null> {
  for (const type of STILL_TYPES) {
    for (const quality of STILL_QUALITIES) {
      const blob = await encode(type, quality);
      if (blob === null || blob.type !== type) break;
      if (blob.size <= maxBytes) return blob;
    }
  }
  return null;
}

/** What to do after an upload: send the next one after `delayMs`, or stop (the stream is gone here). */
export type UploadNext = { action: 'next'; delayMs: number } | { action: 'stop'; reason: string };

/**
 * After `PUT /api/streams/<id>/thumbnail` answered `status` with `body` (null: no answer at all): the
 * server's interval after a success, its wait after a 429, a stop when the stream or the token is no
 * longer good (404, 401), else try again at the usual interval.
 */
export function afterUpload(status: number | null, body: unknown, intervalMs: number): UploadNext {
  if (status === 200 && isObject(body) && isCount(body.intervalMs) && body.intervalMs > 0) {
    return { action: 'next', delayMs: body.intervalMs };
  }
  if (status === 429 && isObject(body) && isCount(body.retryAfterMs)) {
    return { action: 'next', delayMs: Math.max(body.retryAfterMs, 1) };
  }
  if (status === 404) return { action: 'stop', reason: 'the stream is no longer live on its home Machine' };
  if (status === 401) return { action: 'stop', reason: 'the home Machine refused the publish token' };
  return { action: 'next', delayMs: intervalMs };
}

/** A thumbnail on the home page: the version on screen. */
export interface ShownThumbnail {
  version: number;
  src: string;
}

/**
 * Whether a picture that finished loading goes on screen: only if it is newer than the one shown (a
 * slow load of an older version never replaces a newer one).
 */
export function shouldShow(shown: ShownThumbnail | null, loaded: ShownThumbnail): boolean {
  return shown === null || loaded.version > shown.version;
}
