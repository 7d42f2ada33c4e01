import { encodeAudioPayload } from '../../shared/audio-packets.ts';
import { TRACK_AUDIO } from '../../shared/protocol.ts';

/** The packet count, one packet's offset and its length: what a one-packet audio payload adds. */
export const ONE_PACKET_OVERHEAD_BYTES = 7;

/**
 * A frame payload of exactly `bytes` bytes for `track`: on audio one well-formed packet (so the relay
 * takes it; at least 8 bytes), filled with `fill`; on any other track just `bytes` of `fill`.
 */
export function payloadFor(track: number, bytes: number, fill = 0): Uint8Array {
  if (track !== TRACK_AUDIO) return new Uint8Array(bytes).fill(fill);
  return encodeAudioPayload([{ offsetUs: 0, data: new Uint8Array(bytes - ONE_PACKET_OVERHEAD_BYTES).fill(fill) }]);
}
