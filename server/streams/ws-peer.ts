import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { CloseCode } from '../../shared/protocol.ts';
import type { Peer } from './peer.ts';

/**
 * How long a closing socket may take to answer our close frame before it is cut. ws waits 30 s by
 * default; a stalled viewer never answers, and its queued frames would stay in memory meanwhile.
 */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2000;
/**
 * The same for a socket closed for what it sent (1008): it is not read any further, so a flood stops
 * costing CPU at once, and it is cut soon after its close frame had a chance to leave.
 */
export const POLICY_CLOSE_TIMEOUT_MS = 300;

// Hoisted: these run once per viewer per frame.
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/**
 * The TCP socket under a ws WebSocket, when a frame framed once (ws-frame.ts) may be written to it as is:
 * no extension negotiated (a permessage-deflate frame differs per socket), so ws's sender never queues
 * and a direct write keeps the order of everything ws sends. `_socket` is ws's; bufferedAmount reads it.
 */
function rawSocket(socket: WebSocket): Writable | null {
  const raw = (socket as unknown as { _socket?: unknown })._socket;
  return socket.extensions === '' && raw instanceof Writable ? raw : null;
}

/** Adapts a `ws` socket to the relay's Peer. Sends after close are dropped (ws ignores them too). */
export class WsPeer implements Peer {
  private readonly raw: Writable | null;

  constructor(readonly socket: WebSocket) {
    this.raw = rawSocket(socket);
  }

  sendText(data: string | Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // A Uint8Array is sent as a text frame without re-encoding, so a broadcast is encoded once.
    this.socket.send(data, TEXT);
  }

  sendBinary(data: Uint8Array, wire?: Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // One write of the shared frame instead of ws framing it again for this socket (the relay's hot path).
    if (wire !== undefined && this.raw !== null) this.raw.write(wire);
    else this.socket.send(data, BINARY);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    const socket = this.socket;
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.close(code, reason);
    const policy = code === CloseCode.policy;
    if (policy) socket.pause();
    const timer = setTimeout(() => socket.terminate(), policy ? POLICY_CLOSE_TIMEOUT_MS : CLOSE_HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}
