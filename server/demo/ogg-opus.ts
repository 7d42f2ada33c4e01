import type { Result } from '../../shared/protocol.ts';

/**
 * Reads an Ogg Opus file (what `ffmpeg -c:a libopus -f ogg` writes) into its packets: Ogg pages
 * (RFC 3533: "OggS", a 27-byte header, a lacing table, CRC-32 over the page) carrying one logical
 * stream whose first packet is the OpusHead and second the OpusTags (RFC 7845). Small and strict: one
 * stream, checksums verified, every packet's duration read from its TOC byte (RFC 6716 section 3.1).
 */

export interface OpusHead {
  channels: number;
  /** Samples at 48 kHz the decoder drops at the start (the encoder's look-ahead). */
  preSkip: number;
  inputSampleRate: number;
  mappingFamily: number;
}

export interface OggOpusFile {
  head: OpusHead;
  /** The OpusHead packet as it is: what WebCodecs' AudioDecoder takes as `description`. */
  headBytes: Uint8Array;
  packets: Uint8Array[];
}

const PAGE_HEADER_BYTES = 27;
const FLAG_CONTINUED = 0x01;

const fail = <T>(error: string): Result<T> => ({ ok: false, error });

// CRC-32 of Ogg: polynomial 0x04c11db7, no reflection, initial value 0, no final xor.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** The page's checksum, computed with its CRC field taken as zero. */
export function oggCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : page[i]!;
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  }
  return crc;
}

/** Every packet of the one logical stream in `bytes`, in order. */
export function oggPackets(bytes: Uint8Array): Result<Uint8Array[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packets: Uint8Array[] = [];
  let partial: Uint8Array[] = [];
  let serial: number | null = null;
  let at = 0;
  while (at < bytes.length) {
    if (at + PAGE_HEADER_BYTES > bytes.length) return fail(`truncated Ogg page header at byte ${at}`);
    if (String.fromCharCode(...bytes.subarray(at, at + 4)) !== 'OggS')
      return fail(`no OggS capture pattern at byte ${at}`);
    if (bytes[at + 4] !== 0) return fail(`unknown Ogg version ${bytes[at + 4]} at byte ${at}`);
    const flags = bytes[at + 5]!;
    const pageSerial = view.getUint32(at + 14, true);
    if (serial === null) serial = pageSerial;
    else if (pageSerial !== serial) return fail('more than one logical stream (only one Opus stream is read)');
    const segments = bytes[at + 26]!;
    const tableEnd = at + PAGE_HEADER_BYTES + segments;
    if (tableEnd > bytes.length) return fail(`truncated lacing table at byte ${at}`);
    const lacing = bytes.subarray(at + PAGE_HEADER_BYTES, tableEnd);
    const bodyBytes = lacing.reduce((n, v) => n + v, 0);
    const end = tableEnd + bodyBytes;
    if (end > bytes.length) return fail(`page at byte ${at} claims ${bodyBytes} body bytes past the end`);
    if (oggCrc(bytes.subarray(at, end)) !== view.getUint32(at + 22, true))
      return fail(`bad checksum on page at byte ${at}`);
    if ((flags & FLAG_CONTINUED) === 0 && partial.length > 0) return fail(`packet cut short before page at byte ${at}`);
    if ((flags & FLAG_CONTINUED) !== 0 && partial.length === 0) return fail(`page at byte ${at} continues no packet`);
    let body = tableEnd;
    for (const size of lacing) {
      partial.push(bytes.subarray(body, body + size));
      body += size;
      // A lacing value under 255 ends the packet; 255 means it goes on (possibly on the next page).
      if (size < 255) {
        packets.push(concat(partial));
        partial = [];
      }
    }
    at = end;
  }
  if (partial.length > 0) return fail('the last packet is unfinished');
  return { ok: true, value: packets };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** RFC 7845 section 5.1. */
export function parseOpusHead(packet: Uint8Array): Result<OpusHead> {
  if (packet.length < 19 || String.fromCharCode(...packet.subarray(0, 8)) !== 'OpusHead') {
    return fail('the first packet is not an OpusHead');
  }
  if (packet[8]! >> 4 !== 0) return fail(`unsupported OpusHead version ${packet[8]}`);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const head = {
    channels: packet[9]!,
    preSkip: view.getUint16(10, true),
    inputSampleRate: view.getUint32(12, true),
    mappingFamily: packet[18]!,
  };
  if (head.channels === 0) return fail('OpusHead says 0 channels');
  return { ok: true, value: head };
}

/** Frame length in 10 µs units by TOC config (RFC 6716 3.1): SILK, hybrid, then CELT modes. */
const FRAME_10US = [
  ...[1000, 2000, 4000, 6000],
  ...[1000, 2000, 4000, 6000],
  ...[1000, 2000, 4000, 6000],
  ...[1000, 2000, 1000, 2000],
  ...[250, 500, 1000, 2000],
  ...[250, 500, 1000, 2000],
  ...[250, 500, 1000, 2000],
  ...[250, 500, 1000, 2000],
];

/** How long an Opus packet plays, from its TOC byte and frame count; null for a malformed packet. */
export function opusPacketDurationUs(packet: Uint8Array): number | null {
  if (packet.length === 0) return null;
  const toc = packet[0]!;
  const frame10us = FRAME_10US[toc >> 3]!;
  const code = toc & 3;
  let frames = 1;
  if (code === 1 || code === 2) frames = 2;
  else if (code === 3) {
    if (packet.length < 2) return null;
    frames = packet[1]! & 0x3f;
    if (frames === 0) return null;
  }
  const us = frames * frame10us * 10;
  return us > 120_000 ? null : us;
}

/** The whole file: head, then audio packets (OpusTags skipped), each checked for a readable duration. */
export function parseOggOpus(bytes: Uint8Array): Result<OggOpusFile> {
  const packets = oggPackets(bytes);
  if (!packets.ok) return packets;
  const [headBytes, tags, ...audio] = packets.value;
  if (headBytes === undefined) return fail('no packets');
  const head = parseOpusHead(headBytes);
  if (!head.ok) return head;
  if (tags === undefined || String.fromCharCode(...tags.subarray(0, 8)) !== 'OpusTags') {
    return fail('the second packet is not OpusTags');
  }
  if (audio.length === 0) return fail('no audio packets');
  const bad = audio.findIndex((p) => opusPacketDurationUs(p) === null);
  if (bad !== -1) return fail(`audio packet ${bad} is malformed`);
  return { ok: true, value: { head: head.value, headBytes, packets: audio } };
}
