import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { MachineView } from '../types.ts';
import { unpooled } from './connect.ts';
import { replayInstruction, unfollowedReplay } from './deliver-http.ts';
import type { Load } from './load.ts';
import { withCacheInvalidation } from './replay-cache.ts';
import { parseReplayHeader } from './replay-header.ts';
import type { Delivery } from './route-loop.ts';

/** Largest non-101 answer to a handshake that the edge relays (they are error pages, small). */
export const MAX_HANDSHAKE_RESPONSE_BYTES = 1024 * 1024;

/** How a Machine answered a WebSocket handshake. */
export type HandshakeOutcome =
  | { kind: 'switched'; res: http.IncomingMessage; socket: Duplex; head: Buffer; done: () => void }
  | { kind: 'response'; res: http.IncomingMessage };

export interface UpgradeDeliveryOptions {
  machine: MachineView;
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  load: Load;
  followReplay: boolean;
  onRequest(req: http.ClientRequest): void;
}

/**
 * Sends a WebSocket handshake to one Machine on a fresh connection (never pooled: after a 101 it
 * becomes the socket). Node's client emits 'upgrade' for a 101 and 'response' for anything else.
 * A `fly-replay` on either is a replay, as on Fly ("any status, 101 included"): the Machine that
 * asked must not have completed the handshake, and if it did, that socket is simply dropped.
 */
export function deliverUpgrade(o: UpgradeDeliveryOptions): Promise<Delivery<HandshakeOutcome>> {
  return new Promise((resolve) => {
    const done = o.load.begin(o.machine.id);
    const req = http.request({ ...unpooled(o.machine), method: o.method, path: o.path, headers: o.headers });
    o.onRequest(req);
    let answered = false;
    req.on('upgrade', (res, socket, head) => {
      answered = true;
      const header = res.headers['fly-replay'];
      if (o.followReplay && header !== undefined) {
        socket.destroy();
        done();
        const parsed = parseReplayHeader(Array.isArray(header) ? header.join(', ') : header);
        resolve({ kind: 'replay', parsed: withCacheInvalidation(parsed, res.headers) });
        return;
      }
      // The Machine's load now includes this open socket, until it closes.
      socket.once('close', done);
      resolve({
        kind: 'final',
        value: { kind: 'switched', res, socket, head, done },
        ...(o.followReplay ? {} : { ignoredReplay: unfollowedReplay(res) }),
      });
    });
    req.on('response', (res) => {
      answered = true;
      res.once('close', done);
      if (!o.followReplay) {
        resolve({ kind: 'final', value: { kind: 'response', res }, ignoredReplay: unfollowedReplay(res) });
        return;
      }
      replayInstruction(res).then((parsed) =>
        resolve(
          parsed === undefined ? { kind: 'final', value: { kind: 'response', res } } : { kind: 'replay', parsed },
        ),
      );
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      done();
      if (answered) return;
      const code = err.code ?? err.message;
      resolve(code === 'ECONNREFUSED' ? { kind: 'unreachable', error: code } : { kind: 'failed', error: code });
    });
    req.end();
  });
}

/** Serialises a status line and headers for a raw socket (the client's, after an 'upgrade' event). */
export function rawHead(status: number, statusMessage: string, headers: http.OutgoingHttpHeaders): string {
  let text = `HTTP/1.1 ${status} ${statusMessage}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) text += `${name}: ${v}\r\n`;
  }
  return `${text}\r\n`;
}

/**
 * Joins the client's socket and the Machine's after a 101: bytes flow both ways untouched until
 * either side closes or fails, and then both are closed.
 */
export function pipeSockets(client: Duplex, upstream: Duplex, onClose: () => void): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    onClose();
  };
  for (const s of [client, upstream]) {
    s.on('error', close);
    // 'end' is left to pipe(): a half-close passes through, so a close frame still in flight arrives.
    s.on('close', close);
  }
  client.pipe(upstream);
  upstream.pipe(client);
}
