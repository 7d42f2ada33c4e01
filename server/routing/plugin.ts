import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MACHINE_COOKIE } from '../../shared/machine-id.ts';
import { errorPage } from '../errors/error-page.ts';
import { isWebSocketUpgrade, machineCookie, UpgradeCookies } from './cookie.ts';
import { type CookieChange, decide } from './decide.ts';

/** The routing hook's settings: `config.routing`. */
export interface RoutingOptions {
  /** GET/HEAD paths any Machine can serve; never replayed. Entries ending in `/` are prefixes. */
  anyMachinePaths: string[];
  /** Bodies this size or larger are never replayed (Fly's limit is 1 MiB). */
  maxReplayBodyBytes: number;
  /** `timeout=` of the fly-replay header sent for an explicit `?instance=`. */
  replayTimeoutMs: number;
}

/** Requests the cookie must not pin: creating a stream (it is homed where the creator lands). */
const cookieExempt = (method: string, path: string) => method === 'POST' && path === '/api/streams';

export function isAnyMachinePath(path: string, anyMachinePaths: readonly string[]): boolean {
  return anyMachinePaths.some((entry) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry));
}

function declaredBodyBytes(request: FastifyRequest): number | 'unknown' {
  const length = request.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return Number.isSafeInteger(n) && n >= 0 ? n : 'unknown';
  }
  return request.headers['transfer-encoding'] !== undefined ? 'unknown' : 0;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Puts a cookie change on the reply, and on the 101 when the request becomes a WebSocket. */
function applyCookie(
  app: FastifyInstance,
  upgrades: UpgradeCookies,
  request: FastifyRequest,
  reply: FastifyReply,
  change: CookieChange | undefined,
): void {
  if (change === undefined) return;
  const cookie = machineCookie(app.serializeCookie, change, header(request, 'x-forwarded-proto') === 'https');
  reply.header('set-cookie', cookie);
  if (isWebSocketUpgrade(request.headers)) upgrades.set(request.raw, cookie);
}

/**
 * Sends every request, WebSocket upgrades included, to the Machine it belongs to: serve here,
 * or answer 307 + `fly-replay` so Fly's proxy re-sends it. The decision itself is `decide()`.
 * Runs in onRequest, before routing and before any upgrade, so a wrong-Machine socket never gets 101.
 */
export const routingPlugin = fp<RoutingOptions>(
  async (app, opts) => {
    const self = app.machine.id;
    const { directory, metrics } = app;
    // Whether a cookie's Machine still exists: the directory can tell once it has a fresh view.
    const machineKnown = (id: string) => directory.machineKnown(id);
    const upgrades = new UpgradeCookies(app.websocketServer);
    // Callback style, not async: this runs on every request and a promise per call is measurable.
    app.addHook('onRequest', (request, reply, done) => {
      const url = request.url;
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const apiPath = path.startsWith('/api/') || path.startsWith('/ws/');
      const decision = decide({
        self,
        path,
        instanceParams: q === -1 ? [] : new URLSearchParams(url.slice(q + 1)).getAll('instance'),
        cookie: request.cookies[MACHINE_COOKIE],
        forceInstanceId: header(request, 'fly-force-instance-id'),
        replaySrc: header(request, 'fly-replay-src'),
        replayFailed: header(request, 'fly-replay-failed'),
        preferredUnavailable: header(request, 'fly-preferred-instance-unavailable'),
        replayCacheStatus: header(request, 'fly-replay-cache-status'),
        bodyBytes: declaredBodyBytes(request),
        anyMachinePath:
          (request.method === 'GET' || request.method === 'HEAD') && isAnyMachinePath(path, opts.anyMachinePaths),
        apiPath,
        cookieExempt: cookieExempt(request.method, path),
        machineKnown,
        maxReplayBodyBytes: opts.maxReplayBodyBytes,
        replayTimeoutMs: opts.replayTimeoutMs,
      });
      metrics.recordDecision(decision);

      switch (decision.action) {
        case 'serve':
          if (decision.loopFrom !== undefined) {
            request.log.warn(
              {
                self,
                wanted: decision.loopFrom,
                reason: decision.reason,
                replaySrc: header(request, 'fly-replay-src'),
                replayFailed: header(request, 'fly-replay-failed'),
                replayCacheStatus: header(request, 'fly-replay-cache-status'),
              },
              'request already replayed: serving here instead of replaying again',
            );
          }
          applyCookie(app, upgrades, request, reply, decision.cookie);
          done();
          return;
        case 'replay':
          request.log.info(
            { target: decision.target, reason: decision.reason },
            'replaying to the Machine that owns this request',
          );
          reply.code(307).header('fly-replay', decision.header).header('cache-control', 'no-store');
          if (decision.invalidateCache) reply.header('fly-replay-cache', 'invalidate');
          reply.send();
          return;
        case 'reject':
          applyCookie(app, upgrades, request, reply, decision.cookie);
          reply.code(decision.status).header('cache-control', 'no-store');
          if (!apiPath && request.method === 'GET' && request.headers.accept?.includes('text/html')) {
            reply.type('text/html; charset=utf-8').send(errorPage(decision.status, decision.error));
            return;
          }
          reply.send({ error: decision.error });
          return;
      }
    });
  },
  {
    name: 'routing',
    fastify: '5.x',
    // @fastify/websocket: its server writes the 101s that must carry the cookie (registered by streams).
    dependencies: ['@fastify/cookie', '@fastify/websocket', 'machine', 'directory', 'metrics'],
  },
);
