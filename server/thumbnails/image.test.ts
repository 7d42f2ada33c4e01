import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jpegOf, PNG_BYTES, webpOf } from '../../test/support/thumbnails.ts';
import { checkThumbnail, sniffThumbnail, type ThumbnailType } from './image.ts';

test('sniffThumbnail: the type by the first bytes, whatever the name', () => {
  const cutWebp = webpOf(100).subarray(0, 99);
  const riffAvi = webpOf(64);
  riffAvi.write('AVI ', 8, 'ascii');
  const unknownChunk = webpOf(64);
  unknownChunk.write('ALPH', 12, 'ascii');
  const rows: Array<[string, Uint8Array, ThumbnailType | null]> = [
    ['a JPEG', jpegOf(200), 'image/jpeg'],
    ['the smallest JPEG prefix', Buffer.from([0xff, 0xd8, 0xff, 0xdb]), 'image/jpeg'],
    ['three bytes of a JPEG', Buffer.from([0xff, 0xd8, 0xff]), null],
    ['FF D8 without a marker after it', Buffer.from([0xff, 0xd8, 0x00, 0xe0]), null],
    ['a lossy WebP', webpOf(100, 'VP8 '), 'image/webp'],
    ['a lossless WebP', webpOf(100, 'VP8L'), 'image/webp'],
    ['an extended WebP', webpOf(100, 'VP8X'), 'image/webp'],
    ['a WebP cut short (RIFF size says more)', cutWebp, null],
    ['a RIFF that is no WebP', riffAvi, null],
    ['a WebP whose first chunk is unknown', unknownChunk, null],
    ['a PNG', PNG_BYTES, null],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), null],
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), null],
    ['HTML', Buffer.from('<!doctype html><script>alert(1)</script>'), null],
    ['nothing', Buffer.alloc(0), null],
  ];
  for (const [what, bytes, want] of rows) assert.equal(sniffThumbnail(bytes), want, what);
});

test('checkThumbnail: at most maxBytes (413 past it), then JPEG or WebP (415 else)', () => {
  const max = 1000;
  assert.deepEqual(checkThumbnail(jpegOf(max), max), { ok: true, type: 'image/jpeg' });
  assert.deepEqual(checkThumbnail(webpOf(max), max), { ok: true, type: 'image/webp' });
  const over = checkThumbnail(jpegOf(max + 1), max);
  assert.equal(over.ok, false);
  assert.equal(!over.ok && over.status, 413);
  assert.match(!over.ok ? over.error : '', /at most 1000 bytes, got 1001/);
  const png = checkThumbnail(PNG_BYTES, max);
  assert.equal(!png.ok && png.status, 415);
  assert.match(!png.ok ? png.error : '', /JPEG or WebP/);
});
