import { isMachineId } from '../../shared/machine-id.ts';
import { relayAway, relayFromHome, type WatchFacts } from './relay-route.ts';

/** Six days, in seconds: Set-Cookie Max-Age is seconds (a value in ms makes a 16-year cookie). */
export const COOKIE_MAX_AGE_S = 6 * 24 * 60 * 60;

/** What the hook knows about one request; gathered by the plugin, decided on here without I/O. */
export interface RoutingInput {
  /** This Machine's id; null when not on Fly. */
  self: string | null;
  path: string;
  /** Every value of the `instance` query parameter, in order. */
  instanceParams: readonly string[];
  /** The `fly-machine-id` cookie, if sent. */
  cookie: string | undefined;
  forceInstanceId: string | undefined;
  /** Headers Fly's proxy adds to a request it has already replayed or re-routed. */
  replaySrc: string | undefined;
  replayFailed: string | undefined;
  preferredUnavailable: string | undefined;
  /** `fly-replay-cache-status`: how Fly's replay cache routed the request (`hit`, `miss`, `bypass`). */
  replayCacheStatus: string | undefined;
  /** Declared body size; 'unknown' for a body without content-length (chunked). */
  bodyBytes: number | 'unknown';
  /** True for GET/HEAD of paths any Machine can serve (health, hashed assets, favicon, directory reads). */
  anyMachinePath: boolean;
  /** True for API/WebSocket paths (they get JSON errors rather than a page). */
  apiPath: boolean;
  /** True where the cookie must not pin the request (creating a stream homes it where it lands). */
  cookieExempt: boolean;
  /** Whether the directory knows the Machine; undefined when it cannot tell. */
  machineKnown?: (id: string) => boolean | undefined;
  maxReplayBodyBytes: number;
  replayTimeoutMs: number;
  /** For a watch page or watch socket: what relaying needs to know (undefined for other paths). */
  watch?: WatchFacts;
}

export type ServeReason =
  | 'off-fly'
  | 'any-machine'
  | 'forced'
  | 'instance-self'
  | 'cookie-self'
  | 'cookie-malformed'
  | 'cookie-unknown-machine'
  | 'cookie-exempt'
  | 'already-replayed'
  | 'replay-failed'
  | 'no-preference'
  /** A watch request this Machine serves as a relay of the stream's home. */
  | 'relay';

export type CookieChange = { set: string } | 'clear';

export type Decision =
  | { action: 'serve'; reason: ServeReason; cookie?: CookieChange; loopFrom?: string }
  | {
      action: 'replay';
      /** `cache-wrong-machine`: Fly's replay cache sent the cookie's request to another Machine. */
      reason: 'instance' | 'cookie' | 'cache-wrong-machine' | 'relay';
      target: string;
      header: string;
      /** Answer with `fly-replay-cache: invalidate` too, so the edge forgets the entry that misrouted. */
      invalidateCache?: true;
    }
  | {
      action: 'reject';
      reason: 'bad-instance' | 'instance-gone' | 'body-too-large';
      status: 400 | 404 | 413;
      error: string;
      cookie?: CookieChange;
    };

/** Shared (never mutated): the decision almost every request on its home Machine gets. */
const COOKIE_SELF: Decision = Object.freeze({ action: 'serve', reason: 'cookie-self' });

function formatTimeout(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Whether Fly's proxy already replayed or re-routed this request. A replay cache `miss` or `bypass` was
 * replayed too (Fly documents `miss` as "first hit another Machine and got replayed here"); a `hit`
 * was not: it went straight from the edge's cache to this Machine, without `fly-replay-src`.
 */
function wasReplayed(input: RoutingInput): boolean {
  const cache = input.replayCacheStatus;
  return (
    input.replaySrc !== undefined ||
    input.replayFailed !== undefined ||
    input.preferredUnavailable !== undefined ||
    cache === 'miss' ||
    cache === 'bypass'
  );
}

/** A body Fly cannot replay: 1 MiB or more, or of unknown length. */
function unreplayableBody(input: RoutingInput): Decision | null {
  const { bodyBytes, maxReplayBodyBytes } = input;
  if (bodyBytes === 'unknown' || bodyBytes >= maxReplayBodyBytes) {
    return {
      action: 'reject',
      reason: 'body-too-large',
      status: 413,
      error: `a request body of ${bodyBytes === 'unknown' ? 'unknown length' : `${bodyBytes} bytes`} cannot be replayed to another Machine (limit ${maxReplayBodyBytes - 1} bytes); send it with the fly-force-instance-id header instead`,
    };
  }
  return null;
}

/** A watch request sent to a relay: an explicit Machine, and back here should it be unreachable. */
function relayReplay(input: RoutingInput, target: string): Decision {
  return {
    action: 'replay',
    reason: 'relay',
    target,
    header: `instance=${target};timeout=${formatTimeout(input.replayTimeoutMs)};fallback=prefer_self`,
  };
}

/**
 * The routing decision tree (README "Routing rules"): which Machine serves this request.
 * Order matters; every branch has a row in decide.test.ts.
 */
export function decide(input: RoutingInput): Decision {
  const { self } = input;
  if (self === null) return { action: 'serve', reason: 'off-fly' };
  if (input.anyMachinePath) return { action: 'serve', reason: 'any-machine' };
  if (input.forceInstanceId === self) return { action: 'serve', reason: 'forced' };

  const params = input.instanceParams;
  if (params.length > 1) {
    return {
      action: 'reject',
      reason: 'bad-instance',
      status: 400,
      error: 'the instance parameter must be given once',
    };
  }
  if (params.length === 1) {
    const target = params[0]!;
    if (!isMachineId(target)) {
      return {
        action: 'reject',
        reason: 'bad-instance',
        status: 400,
        error: 'the instance parameter must be a Machine id: 14 lowercase hex characters',
      };
    }
    const replayed = wasReplayed(input);
    if (target === self) {
      const away = relayFromHome(input.watch, self, replayed);
      if (away?.kind === 'replay') return relayReplay(input, away.target);
      return { action: 'serve', reason: 'instance-self', cookie: { set: self } };
    }
    if (input.replayFailed !== undefined) {
      // Fly could not reach the Machine named in the link: it is gone (destroyed, or the stream moved).
      if (input.apiPath) {
        return {
          action: 'reject',
          reason: 'instance-gone',
          status: 404,
          error: `Machine ${target} is not reachable; the stream has moved or ended`,
          cookie: { set: self },
        };
      }
      return { action: 'serve', reason: 'replay-failed', cookie: { set: self }, loopFrom: target };
    }
    const relay = relayAway(input.watch, self, target, replayed);
    if (relay?.kind === 'serve') return { action: 'serve', reason: 'relay' };
    if (relay?.kind === 'replay') return relayReplay(input, relay.target);
    if (replayed) return { action: 'serve', reason: 'already-replayed', cookie: { set: self }, loopFrom: target };
    return (
      unreplayableBody(input) ?? {
        action: 'replay',
        reason: 'instance',
        target,
        header: `instance=${target};timeout=${formatTimeout(input.replayTimeoutMs)};fallback=prefer_self`,
      }
    );
  }

  const cookie = input.cookie;
  if (cookie === undefined) return { action: 'serve', reason: 'no-preference' };
  // The common case first: `self` is a valid id, so a cookie equal to it needs no pattern test.
  if (cookie === self) return COOKIE_SELF;
  if (!isMachineId(cookie)) return { action: 'serve', reason: 'cookie-malformed', cookie: 'clear' };
  if (input.cookieExempt) return { action: 'serve', reason: 'cookie-exempt' };
  // Read only here: four header lookups the common request above (cookie = this Machine) does without.
  const replayed = wasReplayed(input);
  if (replayed) return { action: 'serve', reason: 'already-replayed', cookie: { set: self }, loopFrom: cookie };
  if (input.machineKnown?.(cookie) === false)
    return { action: 'serve', reason: 'cookie-unknown-machine', cookie: { set: self } };
  const tooLarge = unreplayableBody(input);
  if (tooLarge !== null) return tooLarge;
  // The edge's replay cache sent this cookie here, yet it names another Machine: the entry is wrong.
  if (input.replayCacheStatus === 'hit') {
    return {
      action: 'replay',
      reason: 'cache-wrong-machine',
      target: cookie,
      header: `prefer_instance=${cookie}`,
      invalidateCache: true,
    };
  }
  return { action: 'replay', reason: 'cookie', target: cookie, header: `prefer_instance=${cookie}` };
}
