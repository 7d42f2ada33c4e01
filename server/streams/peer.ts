/**
 * One end of a socket as the relay sees it. The plugin adapts a `ws` WebSocket; the demo
 * publisher and the tests use in-process fakes, so every stream goes through the same code.
 */
export interface Peer {
  /** A text message; a Uint8Array is already-encoded UTF-8 (broadcasts are encoded once). */
  sendText(data: string | Uint8Array): void;
  /** A binary message; the same buffer is handed to every viewer, never copied per viewer. */
  sendBinary(data: Uint8Array): void;
  /** Bytes queued in user space and not yet handed to the kernel (ws.bufferedAmount). */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}
