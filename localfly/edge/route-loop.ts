import type { OutgoingHttpHeaders } from 'node:http';
import { hostPort } from '../machines/addresses.ts';
import type { MachineView } from '../types.ts';
import { ready } from './auto-start.ts';
import { nowMicros } from './fly-headers.ts';
import type { Load } from './load.ts';
import type { ProxyError } from './proxy-error.ts';
import { CACHE_STATUS_HEADER, type CacheLookup } from './replay-cache.ts';
import {
  formatReplayFailed,
  formatReplaySrc,
  type ParsedReplay,
  type ReplayDirective,
  type ReplayFailure,
  replayKind,
} from './replay-header.ts';
import { type Candidate, pickNearest, type Random, type RoutingHeaders, routeReplay, routeRequest } from './select.ts';
import type { ReplayKind } from './stats.ts';

/** Fly's limit: the 11th `fly-replay` for one request is error PA02. */
export const MAX_REPLAYS = 10;
/** Machines tried for one load-balanced delivery (or one replay) before giving up. */
export const MAX_DELIVERY_ATTEMPTS = 3;
/** Pause before trying an unreachable replay target again (it may be restarting). */
export const REDELIVERY_DELAY_MS = 100;

/** The Machines the edges route to, and Fly's auto start. */
export interface Upstreams {
  app: string;
  machines(): readonly MachineView[];
  /** Starts a stopped Machine; resolves once it accepts connections, rejects if it cannot start. */
  start(id: string): Promise<unknown>;
}

/** What one delivery to a Machine produced. */
export type Delivery<R> =
  /**
   * An answer to hand to the client (for a WebSocket: the 101 and its socket, or another response).
   * `ignoredReplay` is the replay instruction it carried when the edge was not to follow one.
   */
  | { kind: 'final'; value: R; ignoredReplay?: string }
  /** The Machine answered with `fly-replay` (the answer itself is already discarded). */
  | { kind: 'replay'; parsed: ParsedReplay }
  /** Nothing was delivered: the connection was refused. */
  | { kind: 'unreachable'; error: string }
  /** The request reached the Machine but no answer came back. */
  | { kind: 'failed'; error: string };

export interface RouteEvents {
  /** A valid fly-replay is being acted on (counted once per replay). */
  replay(event: { from: MachineView; kind: ReplayKind; directive: ReplayDirective }): void;
  /** The replayed request is being sent to `to` (again, if the first try was refused). */
  redeliver(event: { from: MachineView; to: MachineView; kind: ReplayKind }): void;
  fallback(event: { from: MachineView; wanted: string; reason: ReplayFailure; to: MachineView }): void;
  /** A Machine answered a request that may not replay again (a fallback delivery) with a replay instruction. */
  ignoredReplay(event: { machine: MachineView; instruction: string }): void;
  autoStart(machine: MachineView): void;
  /** The replay cache sent the request straight to `machine`. */
  cacheHit(machine: MachineView): void;
}

export interface RouteContext<R> {
  region: string;
  upstreams: Upstreams;
  load: Load;
  routing: RoutingHeaders;
  /** The request as the next delivery sends it; replay transforms change it for later hops. */
  request: { path: string; headers: OutgoingHttpHeaders };
  /** False once part of a large body was streamed to the first Machine: it cannot be sent again. */
  bodyReplayable: boolean;
  /** How long an auto start may take for a request that has no replay timeout of its own. */
  autoStartTimeoutMs: number;
  /** What the edge's replay cache (fly.toml `replay_cache`) knows of this request. */
  cache?: CacheLookup;
  deliver(
    machine: MachineView,
    headers: OutgoingHttpHeaders,
    path: string,
    followReplay: boolean,
  ): Promise<Delivery<R>>;
  cancelled(): boolean;
  events?: Partial<RouteEvents>;
  random?: Random;
}

export type RouteResult<R> =
  | { kind: 'final'; value: R; machine: MachineView }
  | { kind: 'error'; error: ProxyError }
  | { kind: 'cancelled' };

type Attempt<R> = { machine: MachineView; delivery: Delivery<R> };

const fail = (code: ProxyError['code'], message: string) => ({ kind: 'error' as const, error: { code, message } });

function candidates(ctx: RouteContext<unknown>): Candidate[] {
  return ctx.upstreams
    .machines()
    .map((m) => ({ id: m.id, region: m.region, state: m.state, load: ctx.load.get(m.id) }));
}

function find(ctx: RouteContext<unknown>, id: string): MachineView | undefined {
  return ctx.upstreams.machines().find((m) => m.id === id);
}

function withHop(headers: OutgoingHttpHeaders, hop: Record<string, string | undefined>): OutgoingHttpHeaders {
  const out = { ...headers };
  for (const [name, value] of Object.entries(hop)) if (value !== undefined) out[name] = value;
  return out;
}

/**
 * A replay cache hit goes straight to the remembered Machine, marked `fly-replay-cache-status: hit`
 * and without `fly-replay-src`. An entry whose Machine is not running is dropped and the request routed
 * as usual (the cache is an optimisation: localfly's choice where Fly says no more).
 */
async function cacheHit<R>(ctx: RouteContext<R>): Promise<Attempt<R> | null> {
  const id = ctx.cache?.target;
  if (id === undefined) return null;
  const machine = find(ctx, id);
  if (machine?.state === 'started') {
    const headers = withHop(ctx.request.headers, { [CACHE_STATUS_HEADER]: 'hit' });
    const delivery = await ctx.deliver(machine, headers, ctx.request.path, true);
    if (delivery.kind !== 'unreachable') {
      ctx.events?.cacheHit?.(machine);
      return { machine, delivery };
    }
  }
  ctx.cache?.invalidate();
  return null;
}

/** The first delivery: request headers decide, unreachable load-balanced Machines are skipped. */
async function firstDelivery<R>(ctx: RouteContext<R>): Promise<Attempt<R> | RouteResult<R>> {
  const hit = await cacheHit(ctx);
  if (hit !== null || ctx.cancelled()) return hit ?? { kind: 'cancelled' };
  const unavailable = new Set<string>();
  const forced = ctx.routing.forceInstance !== undefined;
  let last: Attempt<R> | null = null;
  let notStarted: string | undefined;
  for (let tries = 0; tries < MAX_DELIVERY_ATTEMPTS; tries++) {
    const route = routeRequest(candidates(ctx), ctx.region, ctx.routing, unavailable, ctx.random);
    if (!route.ok) return last ?? fail(route.code, route.message);
    const machine = await ready(ctx, route.choice, Date.now() + ctx.autoStartTimeoutMs);
    if (ctx.cancelled()) return { kind: 'cancelled' };
    if (!('id' in machine)) {
      if (forced) return fail('PM05', `Machine ${route.choice.id} could not be started: ${machine.why}`);
      notStarted = `Machine ${route.choice.id}: ${machine.why}`;
      unavailable.add(route.choice.id);
      continue;
    }
    const headers = withHop(ctx.request.headers, {
      'fly-preferred-instance-unavailable': route.choice.preferredUnavailable,
    });
    last = { machine, delivery: await ctx.deliver(machine, headers, ctx.request.path, true) };
    if (last.delivery.kind !== 'unreachable' || forced) return last;
    unavailable.add(machine.id);
  }
  return last ?? fail('PR01', `no Machine of this app could be started${notStarted ? ` (last: ${notStarted})` : ''}`);
}

function applyTransform(ctx: RouteContext<unknown>, directive: ReplayDirective): void {
  const t = directive.transform;
  if (t === undefined) return;
  if (t.path !== undefined) ctx.request.path = t.path;
  for (const name of t.deleteHeaders) delete ctx.request.headers[name];
  for (const { name, value } of t.setHeaders) ctx.request.headers[name] = value;
}

/** One replay: find the target (auto start it), deliver with `fly-replay-src`; on failure fall back or fail. */
async function replay<R>(
  ctx: RouteContext<R>,
  source: MachineView,
  directive: ReplayDirective,
): Promise<Attempt<R> | RouteResult<R>> {
  const began = Date.now();
  const deadline = began + (directive.timeoutMs ?? ctx.autoStartTimeoutMs);
  const kind = replayKind(directive);
  applyTransform(ctx, directive);
  const src = formatReplaySrc({
    instance: source.id,
    region: source.region,
    tMicros: nowMicros(),
    state: directive.state,
  });

  const unavailable = new Set<string>();
  let reason: ReplayFailure = 'no_candidate';
  let notStarted: string | undefined;
  for (let tries = 0; tries < MAX_DELIVERY_ATTEMPTS && Date.now() <= deadline; tries++) {
    const route = routeReplay(
      candidates(ctx),
      ctx.region,
      directive,
      source.id,
      ctx.upstreams.app,
      unavailable,
      ctx.random,
    );
    if (!route.ok) {
      if (route.code === 'PA04') return fail('PA04', route.message);
      reason = tries === 0 ? 'no_candidate' : reason;
      break;
    }
    const machine = await ready(ctx, route.choice, deadline);
    if (ctx.cancelled()) return { kind: 'cancelled' };
    if (!('id' in machine)) {
      notStarted = `Machine ${route.choice.id}: ${machine.why}`;
      reason = machine.timedOut || Date.now() >= deadline ? 'timeout' : 'retries_exhausted';
      if (directive.instance !== undefined) break;
      unavailable.add(route.choice.id);
      continue;
    }
    const headers = withHop(ctx.request.headers, {
      'fly-replay-src': src,
      'fly-preferred-instance-unavailable': route.choice.preferredUnavailable,
      // localfly's choice: every replay of a request under a configured cache is a `miss`.
      [CACHE_STATUS_HEADER]: ctx.cache?.covered ? 'miss' : undefined,
    });
    ctx.events?.redeliver?.({ from: source, to: machine, kind });
    const delivery = await ctx.deliver(machine, headers, ctx.request.path, true);
    // Only a replay that reached the Machine it named is remembered: a prefer_instance that fell back
    // elsewhere would pin the cookie to the wrong Machine.
    if (delivery.kind === 'final' && route.choice.preferredUnavailable === undefined)
      ctx.cache?.remember(directive, machine.id);
    if (delivery.kind !== 'unreachable') return { machine, delivery };
    reason = 'retries_exhausted';
    // A named Machine may be restarting: try it again shortly; otherwise try another one.
    if (directive.instance === undefined) unavailable.add(machine.id);
    else await new Promise((resolve) => setTimeout(resolve, REDELIVERY_DELAY_MS));
  }
  // Out of time (including a timeout of 0 that left no time to try at all).
  if (Date.now() >= deadline && (reason !== 'no_candidate' || directive.timeoutMs === 0)) reason = 'timeout';

  const wanted = directive.instance ?? directive.preferInstance;
  const label =
    wanted ?? (directive.regions !== undefined ? `region ${directive.regions.join(',')}` : 'another Machine');
  const why = notStarted === undefined ? '' : `; ${notStarted}`;
  if (directive.fallback === undefined)
    return fail('PR02', `replay to ${label} failed (${reason}${why}) and fly-replay gave no fallback`);

  // Deliver back: force_self only to the Machine that replayed; prefer_self to it or, if it is
  // gone, to any Machine. The request carries fly-replay-failed and may not replay again; it keeps
  // the fly-replay-src of the failed replay too (Fly documents only fly-replay-failed: localfly's
  // choice, so that apps guarding against loops with fly-replay-src see that this came back).
  let target: MachineView | undefined = source;
  const current = find(ctx, source.id);
  if (current?.state !== 'started') {
    target = undefined;
    if (directive.fallback === 'prefer_self') {
      const choice = pickNearest(
        candidates(ctx).filter((c) => c.state === 'started'),
        ctx.region,
        { random: ctx.random },
      );
      target = choice === null ? undefined : find(ctx, choice.id);
    }
  }
  if (target === undefined)
    return fail(
      'PR02',
      `replay to ${label} failed (${reason}${why}) and no Machine is left for fallback=${directive.fallback}`,
    );
  const failed = formatReplayFailed({
    instance: wanted,
    app: ctx.upstreams.app,
    region: directive.regions?.join(',') ?? (wanted !== undefined ? find(ctx, wanted)?.region : undefined),
    replaySource: source.id,
    reason,
    // A timer can fire a millisecond early by the wall clock (libuv times it from its cached loop time):
    // a replay that timed out waited its whole timeout.
    elapsedMs: reason === 'timeout' ? Math.max(Date.now(), deadline) - began : Date.now() - began,
  });
  ctx.events?.fallback?.({ from: source, wanted: label, reason, to: target });
  const headers = withHop(ctx.request.headers, { 'fly-replay-src': src, 'fly-replay-failed': failed });
  return { machine: target, delivery: await ctx.deliver(target, headers, ctx.request.path, false) };
}

/**
 * Routes one request to its Machine and follows `fly-replay` answers, as Fly's proxy does:
 * the whole request is re-sent to the new target, at most MAX_REPLAYS times. Knows nothing of
 * HTTP bodies or sockets: `deliver` does the I/O, for plain requests and WebSocket handshakes alike.
 */
export async function routeWithReplays<R>(ctx: RouteContext<R>): Promise<RouteResult<R>> {
  let attempt = await firstDelivery(ctx);
  let replays = 0;
  for (;;) {
    if (!('delivery' in attempt)) return attempt;
    if (ctx.cancelled()) return { kind: 'cancelled' };
    const { machine, delivery } = attempt;
    switch (delivery.kind) {
      case 'final':
        if (delivery.ignoredReplay !== undefined)
          ctx.events?.ignoredReplay?.({ machine, instruction: delivery.ignoredReplay });
        return { kind: 'final', value: delivery.value, machine };
      case 'unreachable':
        return fail(
          'PC01',
          `Machine ${machine.id} refused the connection on ${hostPort(machine.address, machine.port)} (${delivery.error})`,
        );
      case 'failed':
        return fail('PU02', `the request to Machine ${machine.id} did not complete (${delivery.error})`);
      case 'replay': {
        if (!delivery.parsed.ok)
          return fail('PA03', `Machine ${machine.id} sent an invalid fly-replay: ${delivery.parsed.error}`);
        if (!ctx.bodyReplayable)
          return fail(
            'PA01',
            `Machine ${machine.id} asked for a replay, but the request body (1 MiB or more) was already streamed to it`,
          );
        if (replays >= MAX_REPLAYS)
          return fail(
            'PA02',
            `fly-replay was returned more than ${MAX_REPLAYS} times for one request (last by Machine ${machine.id})`,
          );
        replays++;
        if (delivery.parsed.directive.invalidateCache) ctx.cache?.invalidate();
        ctx.events?.replay?.({
          from: machine,
          kind: replayKind(delivery.parsed.directive),
          directive: delivery.parsed.directive,
        });
        attempt = await replay(ctx, machine, delivery.parsed.directive);
      }
    }
  }
}
