/** The image types a thumbnail may be, as served in `content-type`. */
export type ThumbnailType = 'image/jpeg' | 'image/webp';

const ascii = (bytes: Uint8Array, at: number, text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
};

/**
 * The type of an image by its first bytes, whatever the sender called it: a JPEG starts with its SOI
 * marker and a segment marker (FF D8 FF); a WebP is a RIFF file of form `WEBP` whose first chunk is
 * `VP8 `, `VP8L` or `VP8X`, and whose RIFF size is the file's own (a cut-off upload is refused).
 * Anything else (PNG, SVG, HTML posing as an image) is null.
 */
export function sniffThumbnail(bytes: Uint8Array): ThumbnailType | null {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 20 && ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) {
    const riffBytes = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
    const chunk = ['VP8 ', 'VP8L', 'VP8X'].some((name) => ascii(bytes, 12, name));
    if (chunk && riffBytes + 8 === bytes.length) return 'image/webp';
  }
  return null;
}

export type ThumbnailCheck = { ok: true; type: ThumbnailType } | { ok: false; status: 413 | 415; error: string };

/**
 * The rules every copy of a thumbnail passes, uploaded by a creator or fetched from a peer: at most
 * `maxBytes`, and a JPEG or WebP by its magic bytes.
 */
export function checkThumbnail(bytes: Uint8Array, maxBytes: number): ThumbnailCheck {
  if (bytes.length > maxBytes) {
    return { ok: false, status: 413, error: `a thumbnail must be at most ${maxBytes} bytes, got ${bytes.length}` };
  }
  const type = sniffThumbnail(bytes);
  if (type === null) {
    return { ok: false, status: 415, error: 'a thumbnail must be a JPEG or WebP image (checked by its first bytes)' };
  }
  return { ok: true, type };
}
