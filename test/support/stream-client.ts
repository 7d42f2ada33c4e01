import net from 'node:net';
import WebSocket from 'ws';
import {
  decodeFrame,
  type Frame,
  parseServerToPublisher,
  parseServerToViewer,
  type ServerToPublisher,
  type ServerToViewer,
} from '../../shared/protocol.ts';

/** Waits for `predicate` to hold, re-checking on every event of `emitter`-like hooks or a short poll. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A test WebSocket client that records everything the server sends. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly messages: Array<ServerToViewer | ServerToPublisher> = [];
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;

  /** `headers`: sent with the upgrade (e.g. `fly-client-ip`, to stand for another client). */
  constructor(url: string, role: 'viewer' | 'publisher', headers?: Record<string, string>) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeFrame(new Uint8Array(data as Buffer));
        if (!frame.ok) throw new Error(frame.error);
        this.frames.push({ ...frame.value, payload: frame.value.payload.slice() });
        return;
      }
      const text = (data as Buffer).toString('utf8');
      const parsed = role === 'viewer' ? parseServerToViewer(text) : parseServerToPublisher(text);
      if (!parsed.ok) throw new Error(`unparseable server message: ${parsed.error}: ${text}`);
      this.messages.push(parsed.value);
    });
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  of<T extends string>(type: T) {
    return this.messages.filter((m) => m.type === type) as Array<
      Extract<ServerToViewer | ServerToPublisher, { type: T }>
    >;
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    await until(() => this.closed !== null, 'socket close', timeoutMs);
    return this.closed!;
  }
}

/** The status line an upgrade request gets, read from a raw TCP handshake (no ws client logic). */
export function rawUpgradeStatus(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: '127.0.0.1', port }, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
      const end = data.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(data.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error('no reply to the upgrade request'));
    });
  });
}
