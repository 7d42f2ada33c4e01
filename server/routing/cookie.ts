import type { IncomingMessage } from 'node:http';
import type { SerializeOptions } from '@fastify/cookie';
import type { WebSocketServer } from 'ws';
import { MACHINE_COOKIE } from '../../shared/machine-id.ts';
import { COOKIE_MAX_AGE_S, type CookieChange } from './decide.ts';

type Serialize = (name: string, value: string, options: SerializeOptions) => string;

/** The `Set-Cookie` value for a routing decision's cookie change (README "Routing rules", row 5). */
export function machineCookie(serialize: Serialize, change: CookieChange, secure: boolean): string {
  if (change === 'clear') {
    return serialize(MACHINE_COOKIE, '', { path: '/', expires: new Date(0), maxAge: 0, sameSite: 'lax' });
  }
  return serialize(MACHINE_COOKIE, change.set, {
    maxAge: COOKIE_MAX_AGE_S,
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
  });
}

/**
 * `ws` writes its own `101 Switching Protocols`, so headers set on Fastify's reply never reach it. A
 * cookie change decided for an upgrade is kept here, keyed by the raw request, and added to the 101
 * through the WebSocket server's `headers` event. A WeakMap: a handshake that never completes leaves
 * nothing behind.
 */
export class UpgradeCookies {
  readonly #pending = new WeakMap<IncomingMessage, string>();

  constructor(wss: WebSocketServer) {
    wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const cookie = this.#pending.get(req);
      if (cookie !== undefined) headers.push(`Set-Cookie: ${cookie}`);
    });
  }

  set(req: IncomingMessage, cookie: string): void {
    this.#pending.set(req, cookie);
  }
}

/** Whether a request asks to become a WebSocket (`Upgrade: websocket`, any case). */
export function isWebSocketUpgrade(headers: IncomingMessage['headers']): boolean {
  return headers.upgrade?.toLowerCase() === 'websocket';
}
