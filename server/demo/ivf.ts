import type { Result } from '../../shared/protocol.ts';

/** One IVF frame: `timestamp` is in the file's timebase units. */
export interface IvfFrame {
  timestamp: number;
  data: Uint8Array;
  keyframe: boolean;
}

export interface IvfFile {
  fourcc: string;
  width: number;
  height: number;
  /** Seconds per timestamp unit = timebaseNumerator / timebaseDenominator. */
  timebaseNumerator: number;
  timebaseDenominator: number;
  frames: IvfFrame[];
}

const FILE_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 12;

/** VP8 (RFC 6386 9.1): bit 0 of the first byte of the frame tag is 0 for a key frame. */
function isVp8Keyframe(data: Uint8Array): boolean {
  return data.length > 0 && (data[0]! & 1) === 0;
}

/** Parses an IVF container (as ffmpeg's `-f ivf` writes it). Only VP8 is needed here. */
export function parseIvf(bytes: Uint8Array): Result<IvfFile> {
  if (bytes.byteLength < FILE_HEADER_BYTES) return { ok: false, error: 'shorter than the 32-byte IVF header' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (ascii(0) !== 'DKIF') return { ok: false, error: 'not an IVF file (no DKIF signature)' };
  const headerBytes = view.getUint16(6, true);
  if (headerBytes < FILE_HEADER_BYTES || headerBytes > bytes.byteLength)
    return { ok: false, error: `bad IVF header size ${headerBytes}` };
  const fourcc = ascii(8);
  if (fourcc !== 'VP80') return { ok: false, error: `unsupported codec ${JSON.stringify(fourcc)} (only VP80)` };
  const file: IvfFile = {
    fourcc,
    width: view.getUint16(12, true),
    height: view.getUint16(14, true),
    timebaseDenominator: view.getUint32(16, true),
    timebaseNumerator: view.getUint32(20, true),
    frames: [],
  };
  if (file.timebaseDenominator === 0 || file.timebaseNumerator === 0)
    return { ok: false, error: 'IVF timebase is zero' };
  let at = headerBytes;
  while (at < bytes.byteLength) {
    if (at + FRAME_HEADER_BYTES > bytes.byteLength) return { ok: false, error: `truncated frame header at byte ${at}` };
    const size = view.getUint32(at, true);
    const timestamp = view.getUint32(at + 4, true) + view.getUint32(at + 8, true) * 2 ** 32;
    const start = at + FRAME_HEADER_BYTES;
    if (size === 0 || start + size > bytes.byteLength)
      return { ok: false, error: `frame at byte ${at} claims ${size} bytes` };
    const data = bytes.subarray(start, start + size);
    file.frames.push({ timestamp, data, keyframe: isVp8Keyframe(data) });
    at = start + size;
  }
  if (file.frames.length === 0) return { ok: false, error: 'IVF file has no frames' };
  if (!file.frames[0]!.keyframe) return { ok: false, error: 'IVF file does not start with a keyframe' };
  return { ok: true, value: file };
}
