import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MACHINE_COOKIE } from '../../shared/machine-id.ts';
import { errorPage } from '../errors/error-page.ts';
import { isWebSocketUpgrade, machineCookie, UpgradeCookies } from './cookie.ts';
import { type CookieChange, decide } from './decide.ts';
import { type FactsContext, RequestFacts } from './request-facts.ts';
import { watchFactsOf } from './watch-facts.ts';

/** The routing hook's settings: `config.routing`. */
export interface RoutingOptions {
  /** GET/HEAD paths any Machine can serve; never replayed. Entries ending in `/` are prefixes. */
  anyMachinePaths: string[];
  /** Bodies this size or larger are never replayed (Fly's limit is 1 MiB). */
  maxReplayBodyBytes: number;
  /** `timeout=` of the fly-replay header sent for an explicit `?instance=`. */
  replayTimeoutMs: number;
}

/** `POST /api/streams/<id>/resume`: any Machine may take a stream over. */
const RESUME_PATH = /^\/api\/streams\/[^/]+\/resume$/;

/**
 * Requests the cookie must not pin: creating a stream (it is homed where the creator lands) and resuming
 * one (the cookie names the home that went away; whatever Machine answers takes it over).
 */
export const cookieExempt = (method: string, path: string) =>
  method === 'POST' && (path === '/api/streams' || RESUME_PATH.test(path));

/** The any-Machine test compiled once (an exact-path set and a few prefixes): it runs on every GET. */
export function anyMachineMatcher(anyMachinePaths: readonly string[]): (path: string) => boolean {
  const exact = new Set(anyMachinePaths.filter((entry) => !entry.endsWith('/')));
  const prefixes = anyMachinePaths.filter((entry) => entry.endsWith('/'));
  return (path) => {
    if (exact.has(path)) return true;
    for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
    return false;
  };
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
    const { directory, metrics } = app;
    const self = app.machine.id;
    const upgrades = new UpgradeCookies(app.websocketServer);
    const ctx: FactsContext = {
      self,
      anyMachine: anyMachineMatcher(opts.anyMachinePaths),
      cookieExempt,
      // Whether a cookie's Machine still exists: the directory can tell once it has a fresh view.
      machineKnown: (id: string) => directory.machineKnown(id),
      maxReplayBodyBytes: opts.maxReplayBodyBytes,
      replayTimeoutMs: opts.replayTimeoutMs,
      watchFacts: watchFactsOf(app),
    };
    // Callback style, not async: this runs on every request and a promise per call is measurable.
    app.addHook('onRequest', function routingHook(request, reply, done) {
      const facts = new RequestFacts(
        ctx,
        request.url,
        request.method,
        request.headers,
        request.cookies[MACHINE_COOKIE],
      );
      const apiPath = facts.apiPath;
      const decision = decide(facts);
      metrics.recordDecision(decision);

      switch (decision.action) {
        case 'serve':
          if (decision.loopFrom !== undefined) {
            request.log.warn(
              {
                self,
                wanted: decision.loopFrom,
                reason: decision.reason,
                replaySrc: facts.replaySrc,
                replayFailed: facts.replayFailed,
                replayCacheStatus: facts.replayCacheStatus,
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
    dependencies: ['@fastify/cookie', '@fastify/websocket', 'machine', 'directory', 'metrics', 'relayed'],
  },
);
