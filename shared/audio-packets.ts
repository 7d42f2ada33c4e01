/**
 * The payload of an audio frame (track 1, protocol version 3): several Opus packets in one message, so
 * the relay sends a viewer fewer messages (each costs it one send per viewer). Imported by the server,
 * the browser and the benchmarks: no Node-only APIs. See shared/PROTOCOL.md, "Audio frames".
 *
 *   offset  size  field
 *   0       1     n: packets in this frame, 1..AUDIO_MAX_PACKETS_PER_FRAME
 *   then n times:
 *           4     offsetUs: this packet's timestamp minus the frame's (unsigned BE); 0 for the first, then rising
 *           2     length: bytes of the packet (unsigned BE), >= 1
 *           len   the Opus packet (one EncodedAudioChunk's data)
 *
 * Every byte of the payload belongs to a packet: trailing bytes are an error.
 */

import { FRAME_HEADER_BYTES, TRACK_AUDIO, writeFrameHeader } from './protocol.ts';

/** The most packets one audio frame may carry (the app sends 2; more only adds delay at the publisher). */
export const AUDIO_MAX_PACKETS_PER_FRAME = 8;
/** Packets one audio message carries on the go-live page, the demo streams and the fan-out bench. */
export const AUDIO_PACKETS_PER_MESSAGE = 2;
/** A packet this far (µs) after the first of its frame starts a new frame: a frame spans a short stretch only. */
export const AUDIO_FRAME_MAX_SPAN_US = 1_000_000;
const PACKET_HEADER_BYTES = 6;
const MAX_PACKET_BYTES = 0xffff;

export interface AudioPacket {
  /** This packet's timestamp minus its frame's, µs. */
  offsetUs: number;
  /** On decode: a view into the frame (no copy). */
  data: Uint8Array;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** The payload for `packets` (their first offset must be 0, the others rising). Throws only on misuse. */
export function encodeAudioPayload(packets: readonly AudioPacket[]): Uint8Array<ArrayBuffer> {
  return writeAudioPayload(packets, 0);
}

/** The payload written `at` bytes into a fresh buffer (room for the frame header before it). */
function writeAudioPayload(packets: readonly AudioPacket[], at: number): Uint8Array<ArrayBuffer> {
  if (packets.length < 1 || packets.length > AUDIO_MAX_PACKETS_PER_FRAME) {
    throw new RangeError(`an audio frame carries 1-${AUDIO_MAX_PACKETS_PER_FRAME} packets, got ${packets.length}`);
  }
  let size = 1;
  let previous = -1;
  for (const [i, p] of packets.entries()) {
    if (!Number.isInteger(p.offsetUs) || p.offsetUs <= previous || p.offsetUs > AUDIO_FRAME_MAX_SPAN_US) {
      throw new RangeError(
        `packet ${i}: offsetUs must rise from 0 up to ${AUDIO_FRAME_MAX_SPAN_US}, got ${p.offsetUs}`,
      );
    }
    if (i === 0 && p.offsetUs !== 0) throw new RangeError(`the first packet's offsetUs must be 0, got ${p.offsetUs}`);
    if (p.data.byteLength < 1 || p.data.byteLength > MAX_PACKET_BYTES) {
      throw new RangeError(`packet ${i}: 1-${MAX_PACKET_BYTES} bytes, got ${p.data.byteLength}`);
    }
    previous = p.offsetUs;
    size += PACKET_HEADER_BYTES + p.data.byteLength;
  }
  const out = new Uint8Array(at + size);
  const view = new DataView(out.buffer);
  out[at] = packets.length;
  at += 1;
  for (const p of packets) {
    view.setUint32(at, p.offsetUs);
    view.setUint16(at + 4, p.data.byteLength);
    out.set(p.data, at + PACKET_HEADER_BYTES);
    at += PACKET_HEADER_BYTES + p.data.byteLength;
  }
  return out;
}

/** A whole audio frame (header + payload) stamped `timestampUs`, the first packet's time. */
export function encodeAudioFrame(timestampUs: number, packets: readonly AudioPacket[]): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(timestampUs) || timestampUs < 0) {
    throw new RangeError(`timestampUs must be a non-negative safe integer, got ${timestampUs}`);
  }
  const frame = writeAudioPayload(packets, FRAME_HEADER_BYTES);
  writeFrameHeader(frame, false, timestampUs, TRACK_AUDIO);
  return frame;
}

/** The packets of an audio frame's payload (views, no copy), or why it is malformed. */
export function decodeAudioPayload(payload: Uint8Array): Result<AudioPacket[]> {
  const count = payload[0] ?? 0;
  if (count < 1 || count > AUDIO_MAX_PACKETS_PER_FRAME) {
    return { ok: false, error: `audio frame: packet count ${count} is not 1-${AUDIO_MAX_PACKETS_PER_FRAME}` };
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const packets: AudioPacket[] = [];
  let at = 1;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    if (at + PACKET_HEADER_BYTES > payload.byteLength) {
      return { ok: false, error: `audio frame: packet ${i} of ${count} is cut off` };
    }
    const offsetUs = view.getUint32(at);
    const length = view.getUint16(at + 4);
    if (offsetUs <= previous || (i === 0 && offsetUs !== 0) || offsetUs > AUDIO_FRAME_MAX_SPAN_US) {
      return { ok: false, error: `audio frame: packet ${i} offset ${offsetUs} µs (must rise from 0, <= 1 s)` };
    }
    if (length < 1 || at + PACKET_HEADER_BYTES + length > payload.byteLength) {
      return { ok: false, error: `audio frame: packet ${i} length ${length} does not fit` };
    }
    packets.push({ offsetUs, data: payload.subarray(at + PACKET_HEADER_BYTES, at + PACKET_HEADER_BYTES + length) });
    previous = offsetUs;
    at += PACKET_HEADER_BYTES + length;
  }
  if (at !== payload.byteLength) {
    return { ok: false, error: `audio frame: ${payload.byteLength - at} bytes after its ${count} packets` };
  }
  return { ok: true, value: packets };
}

/**
 * Gathers consecutive Opus packets into audio frames of `perFrame` packets. `add` returns the frames
 * ready to go (none, one, or two when a packet that does not follow on forces out the one gathering);
 * `flush` hands over a partial frame (an encoder restarting, a socket closing).
 */
export class AudioFramer {
  private packets: AudioPacket[] = [];
  private firstUs = 0;

  constructor(private readonly perFrame: number = AUDIO_PACKETS_PER_MESSAGE) {
    if (!Number.isInteger(perFrame) || perFrame < 1 || perFrame > AUDIO_MAX_PACKETS_PER_FRAME) {
      throw new RangeError(`packets per frame must be 1-${AUDIO_MAX_PACKETS_PER_FRAME}, got ${perFrame}`);
    }
  }

  /** Packets gathered and not yet sent. */
  get pending(): number {
    return this.packets.length;
  }

  /** `data` is kept until its frame is built: pass a buffer nobody reuses. */
  add(timestampUs: number, data: Uint8Array): Array<Uint8Array<ArrayBuffer>> {
    const out: Array<Uint8Array<ArrayBuffer>> = [];
    const last = this.packets.at(-1);
    if (last !== undefined) {
      const offsetUs = timestampUs - this.firstUs;
      if (offsetUs <= last.offsetUs || offsetUs > AUDIO_FRAME_MAX_SPAN_US) out.push(this.flush()!);
    }
    if (this.packets.length === 0) this.firstUs = timestampUs;
    this.packets.push({ offsetUs: timestampUs - this.firstUs, data });
    if (this.packets.length >= this.perFrame) out.push(this.flush()!);
    return out;
  }

  flush(): Uint8Array<ArrayBuffer> | null {
    if (this.packets.length === 0) return null;
    const frame = encodeAudioFrame(this.firstUs, this.packets);
    this.packets = [];
    return frame;
  }

  /** Drops what was gathered (the stream stopped having sound). */
  clear(): void {
    this.packets = [];
  }
}
