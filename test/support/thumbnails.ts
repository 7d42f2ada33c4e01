import type { FastifyInstance } from 'fastify';
import { encodeControl } from '../../shared/protocol.ts';
import { FakePeer } from './fake-peer.ts';

/**
 * Test images that pass (or fail) the thumbnail checks by their first bytes, of an exact size: a JPEG's
 * SOI and APP0 markers, or a WebP's RIFF header, then `fill` up to `bytes`.
 */
export function jpegOf(bytes: number, fill = 0x11): Buffer {
  const out = Buffer.alloc(bytes, fill);
  out.set([0xff, 0xd8, 0xff, 0xe0]);
  out.set([0xff, 0xd9], bytes - 2);
  return out;
}

export function webpOf(bytes: number, chunk: 'VP8 ' | 'VP8L' | 'VP8X' = 'VP8 '): Buffer {
  const out = Buffer.alloc(bytes, 0x22);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(bytes - 8, 4);
  out.write('WEBP', 8, 'ascii');
  out.write(chunk, 12, 'ascii');
  return out;
}

/** The first bytes of a PNG: a real image, but not a type thumbnails take. */
export const PNG_BYTES = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);

/** A stream hosted by `app` and listed (a publisher is attached in memory), with its publish token. */
export function liveStream(app: FastifyInstance, title = 'Thumbnail test'): { id: string; token: string; end(): void } {
  const created = app.streams.create({ title, creator: 'tester' });
  if (!created.ok) throw new Error(created.error);
  const peer = new FakePeer();
  const session = created.stream.connectPublisher(peer);
  return {
    id: created.stream.id,
    token: created.publishToken,
    // The creator's own `stop`: the stream ends at once.
    end: () => session.onText(encodeControl({ type: 'stop' })),
  };
}
