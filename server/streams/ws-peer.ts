import WebSocket from 'ws';
import type { Peer } from './peer.ts';

/**
 * How long a closing socket may take to answer our close frame before it is cut. ws waits 30 s by
 * default; a stalled viewer never answers, and its queued frames would stay in memory meanwhile.
 */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2000;

// Hoisted: these run once per viewer per frame.
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/** Adapts a `ws` socket to the relay's Peer. Sends after close are dropped (ws ignores them too). */
export class WsPeer implements Peer {
  constructor(readonly socket: WebSocket) {}

  sendText(data: string | Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // A Uint8Array is sent as a text frame without re-encoding, so a broadcast is encoded once.
    this.socket.send(data, TEXT);
  }

  sendBinary(data: Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(data, BINARY);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    const socket = this.socket;
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.close(code, reason);
    const timer = setTimeout(() => socket.terminate(), CLOSE_HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}
