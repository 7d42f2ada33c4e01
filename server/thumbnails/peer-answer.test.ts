import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jpegOf, PNG_BYTES, webpOf } from '../../test/support/thumbnails.ts';
import { type PeerThumbnailAnswer, readPeerThumbnail, thumbnailEtag } from './peer-answer.ts';

const MAX = 1000;

test('readPeerThumbnail: what a peer answer means, with an upload checks', () => {
  const jpeg = jpegOf(500);
  const rows: Array<[string, number, string | undefined, Buffer, PeerThumbnailAnswer]> = [
    [
      '200 with its version',
      200,
      '"1700000000000"',
      jpeg,
      { kind: 'fresh', version: 1_700_000_000_000, type: 'image/jpeg', bytes: jpeg },
    ],
    ['304', 304, '"5"', Buffer.alloc(0), { kind: 'not-modified' }],
    ['404: the home has none', 404, undefined, Buffer.from('{"error":"x"}'), { kind: 'missing' }],
    ['503', 503, undefined, Buffer.alloc(0), { kind: 'failed', reason: 'peer answered 503' }],
    ['no etag', 200, undefined, jpeg, { kind: 'refused', reason: 'no thumbnail version in its etag' }],
    ['a weak etag', 200, 'W/"5"', jpeg, { kind: 'refused', reason: 'no thumbnail version in its etag' }],
    ['a version 0', 200, '"0"', jpeg, { kind: 'refused', reason: 'no thumbnail version in its etag' }],
    [
      'an etag too long for a version',
      200,
      `"${'9'.repeat(17)}"`,
      jpeg,
      { kind: 'refused', reason: 'no thumbnail version in its etag' },
    ],
    [
      'a forged image (a PNG)',
      200,
      '"5"',
      PNG_BYTES,
      { kind: 'refused', reason: 'a thumbnail must be a JPEG or WebP image (checked by its first bytes)' },
    ],
    [
      'HTML posing as a thumbnail',
      200,
      '"5"',
      Buffer.from('<script>alert(1)</script>'),
      { kind: 'refused', reason: 'a thumbnail must be a JPEG or WebP image (checked by its first bytes)' },
    ],
    [
      'oversized',
      200,
      '"5"',
      jpegOf(MAX + 1),
      { kind: 'refused', reason: 'a thumbnail must be at most 1000 bytes, got 1001' },
    ],
  ];
  for (const [what, status, etag, bytes, want] of rows) {
    assert.deepEqual(readPeerThumbnail({ status, etag, bytes }, MAX), want, what);
  }
  const webp = webpOf(MAX);
  assert.deepEqual(readPeerThumbnail({ status: 200, etag: thumbnailEtag(7), bytes: webp }, MAX), {
    kind: 'fresh',
    version: 7,
    type: 'image/webp',
    bytes: webp,
  });
});
