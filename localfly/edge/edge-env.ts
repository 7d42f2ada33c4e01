import type http from 'node:http';
import { type EdgeRequestContext, flyRequestHeaders, nowMicros, plainIp } from './fly-headers.ts';
import type { Load } from './load.ts';
import type { ProxyError } from './proxy-error.ts';
import type { ReplayCache } from './replay-cache.ts';
import { newRequestId } from './request-id.ts';
import type { RouteContext, RouteEvents, Upstreams } from './route-loop.ts';
import type { Random, RoutingHeaders } from './select.ts';
import type { Stats } from './stats.ts';

/** Fly cannot replay a request whose body is 1 MiB or more. */
export const MAX_REPLAY_BODY_BYTES = 1024 * 1024;

export interface EdgeLogEvent {
  region: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface EdgeOptions {
  region: string;
  host?: string;
  /** 0 = any free port. */
  port: number;
  upstreams: Upstreams;
  load: Load;
  stats: Stats;
  /** How long a request waits for a stopped Machine to start when no replay timeout applies. */
  autoStartTimeoutMs: number;
  maxReplayBodyBytes?: number;
  /** fly.toml's `replay_cache` rules at work in this edge; none when absent. */
  replayCache?: ReplayCache;
  log?: (event: EdgeLogEvent) => void;
  random?: Random;
}

/** What every request of one edge shares: its options, its connection pool, its log and route events. */
export interface EdgeEnv {
  options: EdgeOptions;
  maxBodyBytes: number;
  agent: http.Agent;
  /** The port the edge listens on (known once it listens; reported in x-forwarded-port). */
  port(): number;
  log(level: EdgeLogEvent['level'], message: string): void;
  events: RouteEvents;
}

export function createEdgeEnv(options: EdgeOptions, agent: http.Agent, port: () => number): EdgeEnv {
  const { region, stats } = options;
  const log = (level: EdgeLogEvent['level'], message: string) => options.log?.({ region, level, message });
  return {
    options,
    maxBodyBytes: options.maxReplayBodyBytes ?? MAX_REPLAY_BODY_BYTES,
    agent,
    port,
    log,
    events: {
      replay: ({ kind }) => stats.replay(region, kind),
      redeliver: ({ from, to, kind }) => log('info', `${region} edge -> ${from.id} replay -> ${to.id} (${kind})`),
      fallback: ({ from, wanted, reason, to }) => {
        stats.fallback(region);
        log(
          'warn',
          `${region} edge -> ${from.id} replay -> ${wanted} failed (${reason}); delivered to ${to.id} with fly-replay-failed`,
        );
      },
      ignoredReplay: ({ machine, instruction }) =>
        log(
          'warn',
          `${region} edge: Machine ${machine.id} answered a request delivered back after a failed replay with ${instruction}; ignored (that request may not replay again), its answer goes to the client`,
        ),
      autoStart: (m) => log('info', `${region} edge: auto starting Machine ${m.id} (${m.region}) for a request`),
      cacheHit: (m) => {
        stats.cacheHit(region);
        log('info', `${region} edge -> ${m.id} (replay cache hit)`);
      },
    },
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The routing request headers a client may send (`fly-force-instance-id` and friends). */
export function routingHeaders(headers: http.IncomingHttpHeaders): RoutingHeaders {
  const routing: RoutingHeaders = {};
  const pairs = [
    ['forceInstance', 'fly-force-instance-id'],
    ['preferInstance', 'fly-prefer-instance-id'],
    ['forceRegion', 'fly-force-region'],
    ['preferRegion', 'fly-prefer-region'],
  ] as const;
  for (const [key, name] of pairs) {
    const value = first(headers[name])?.trim();
    if (value) routing[key] = value;
  }
  return routing;
}

/** Who asked, where, and when: the facts Fly's request headers are made of. */
export function requestContext(env: EdgeEnv, req: http.IncomingMessage): EdgeRequestContext {
  return {
    clientIp: plainIp(req.socket.remoteAddress),
    edgeIp: plainIp(req.socket.localAddress),
    edgePort: env.port(),
    region: env.options.region,
    requestId: newRequestId(env.options.region),
    startMicros: nowMicros(),
  };
}

/** The part of the routing loop's context that plain requests and WebSocket handshakes share. */
export function routeBase<R>(
  env: EdgeEnv,
  req: http.IncomingMessage,
  ctx: EdgeRequestContext,
  upgrade: boolean,
  gone: () => boolean,
) {
  const o = env.options;
  const routing = routingHeaders(req.headers);
  return {
    region: o.region,
    upstreams: o.upstreams,
    load: o.load,
    routing,
    // A request that names its Machine or region itself is routed by that, not by the cache.
    cache: o.replayCache?.lookup(req.url ?? '/', req.headers, Object.keys(routing).length === 0),
    request: { path: req.url ?? '/', headers: flyRequestHeaders(req.headers, ctx, upgrade) },
    autoStartTimeoutMs: o.autoStartTimeoutMs,
    cancelled: gone,
    events: env.events,
    random: o.random,
  } satisfies Partial<RouteContext<R>>;
}

/** Counts and logs a proxy error answered to a client. */
export function reportProxyError(env: EdgeEnv, error: ProxyError): void {
  const { region, stats } = env.options;
  stats.error(region, error.code);
  env.log(
    error.code === 'PA03' || error.code === 'PU02' ? 'error' : 'warn',
    `${region} edge ${error.code}: ${error.message}`,
  );
}
