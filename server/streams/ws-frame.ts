import * as ws from 'ws';

/** ws's own framer (public since ws 2, made static for broadcasts; @types/ws does not declare it). */
interface Framer {
  frame(
    data: Buffer,
    options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
  ): Buffer[];
}
const { Sender } = ws as unknown as { Sender: Framer };

const BINARY_OPCODE = 2;

/** A binary message stored once for every viewer: the payload, and the same bytes as a whole WebSocket frame. */
export interface FramedBinary {
  /** The message itself (a view into `wire`). */
  readonly data: Buffer;
  /** `data` framed as a server sends it (final, unmasked, uncompressed): written to every viewer's socket as is. */
  readonly wire: Buffer;
}

/**
 * Frames `payload` once, in one exact-size buffer (a view into a larger receive buffer is not pinned).
 * Framing per viewer cost the relay a header, an options object and a corked two-buffer write per send;
 * a server frame is the same bytes for every client, so it is built once per relayed frame instead.
 */
export function frameBinary(payload: Uint8Array): FramedBinary {
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const [header] = Sender.frame(view, { fin: true, opcode: BINARY_OPCODE, mask: false, readOnly: true, rsv1: false });
  const wire = Buffer.allocUnsafeSlow(header!.length + payload.byteLength);
  wire.set(header!, 0);
  wire.set(payload, header!.length);
  return { data: wire.subarray(header!.length), wire };
}
