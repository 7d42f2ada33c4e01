import { checkThumbnail, type ThumbnailType } from './image.ts';

/** The part of a peer's answer the mirror reads. */
export interface PeerThumbnailResponse {
  status: number;
  etag: string | undefined;
  bytes: Buffer;
}

export type PeerThumbnailAnswer =
  | { kind: 'fresh'; version: number; type: ThumbnailType; bytes: Buffer }
  | { kind: 'not-modified' }
  /** The home has none (any more): the stream ended, or never had one. */
  | { kind: 'missing' }
  /** The peer sent something no Machine of this app would store: not to be fetched again. */
  | { kind: 'refused'; reason: string }
  /** Worth another try. */
  | { kind: 'failed'; reason: string };

/** A thumbnail's etag: its version, which names its content (`"<version>"`). */
export function thumbnailEtag(version: number): string {
  return `"${version}"`;
}

const ETAG = /^"([1-9]\d{0,15})"$/;

/**
 * What a peer's answer to a thumbnail fetch means. A fresh one passes the same checks as an upload
 * (size, magic bytes) and must name its version in its etag; anything else is refused.
 */
export function readPeerThumbnail(res: PeerThumbnailResponse, maxBytes: number): PeerThumbnailAnswer {
  if (res.status === 304) return { kind: 'not-modified' };
  if (res.status === 404) return { kind: 'missing' };
  if (res.status !== 200) return { kind: 'failed', reason: `peer answered ${res.status}` };
  const match = res.etag === undefined ? null : ETAG.exec(res.etag);
  const version = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(version)) return { kind: 'refused', reason: 'no thumbnail version in its etag' };
  const check = checkThumbnail(res.bytes, maxBytes);
  if (!check.ok) return { kind: 'refused', reason: check.error };
  return { kind: 'fresh', version, type: check.type, bytes: res.bytes };
}
