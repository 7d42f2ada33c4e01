/**
 * One end of a socket as the relay sees it. The plugin adapts a `ws` WebSocket; the demo
 * publisher and the tests use in-process fakes, so every stream goes through the same code.
 */
export interface Peer {
  /** A text message; a Uint8Array is already-encoded UTF-8 (broadcasts are encoded once). */
  sendText(data: string | Uint8Array): void;
  /**
   * A binary message; the same buffer is handed to every viewer, never copied per viewer. `wire`, when
   * given, is the same message already framed (ws-frame.ts), for a peer that can write it as is.
   */
  sendBinary(data: Uint8Array, wire?: Uint8Array): void;
  /** Bytes queued in user space and not yet handed to the kernel (ws.bufferedAmount). */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}
