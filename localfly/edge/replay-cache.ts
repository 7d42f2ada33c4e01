import type { IncomingHttpHeaders } from 'node:http';
import type { ParsedReplay, ReplayDirective } from './replay-header.ts';

/**
 * One `[[http_service.http_options.replay_cache]]` of fly.toml: after a replay of a request under
 * `pathPrefix`, the edge remembers "this cookie (or header) value goes to that Machine" for `ttlSeconds`.
 */
export interface ReplayCacheRule {
  pathPrefix: string;
  ttlSeconds: number;
  type: 'cookie' | 'header';
  /** The cookie's or header's name; its value is the cache key. */
  name: string;
}

/** Fly refuses shorter TTLs. */
export const MIN_TTL_SECONDS = 10;
/** Entries one edge keeps at most; the oldest go first (a bound, not something Fly documents). */
export const MAX_CACHE_ENTRIES = 10_000;
/** The request header Fly sets on requests it routed with the cache, and on replays under a cache. */
export const CACHE_STATUS_HEADER = 'fly-replay-cache-status';
/** The response header a Machine sends with a `fly-replay` to drop the entry that brought the request. */
export const CACHE_CONTROL_HEADER = 'fly-replay-cache';

/** The rules from a parsed fly.toml (`smol-toml`'s output); throws on a malformed rule. */
export function replayCacheRules(flyToml: unknown): ReplayCacheRule[] {
  const service = (flyToml as { http_service?: { http_options?: { replay_cache?: unknown } } } | null)?.http_service;
  const list = service?.http_options?.replay_cache;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error('http_service.http_options.replay_cache must be a list of tables');
  return list.map((raw: Record<string, unknown>, i) => {
    const where = `replay_cache #${i + 1}`;
    const { path_prefix: pathPrefix, ttl_seconds: ttlSeconds, type, name } = raw;
    if (typeof pathPrefix !== 'string' || !pathPrefix.startsWith('/'))
      throw new Error(`${where}: path_prefix must be a path starting with /`);
    if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < MIN_TTL_SECONDS)
      throw new Error(`${where}: ttl_seconds must be a whole number of at least ${MIN_TTL_SECONDS}`);
    if (type !== 'cookie' && type !== 'header') throw new Error(`${where}: type must be "cookie" or "header"`);
    if (typeof name !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new Error(`${where}: name must be a cookie or header name`);
    return { pathPrefix, ttlSeconds, type, name };
  });
}

/**
 * Only a plain replay may be cached: Fly refuses `state` and transforms in a cached replay, and a
 * `timeout`/`fallback` asks for a check the cache would skip.
 */
export function cacheable(d: ReplayDirective): boolean {
  return d.timeoutMs === undefined && d.fallback === undefined && d.state === undefined && d.transform === undefined;
}

/** Adds the Machine's `fly-replay-cache: invalidate` to the replay it asked for. */
export function withCacheInvalidation(parsed: ParsedReplay, headers: IncomingHttpHeaders): ParsedReplay {
  const value = headers[CACHE_CONTROL_HEADER];
  if (!parsed.ok || typeof value !== 'string' || value.trim().toLowerCase() !== 'invalidate') return parsed;
  return { ok: true, directive: { ...parsed.directive, invalidateCache: true } };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** What the cache says about one request, and how the edge reports back what happened to it. */
export interface CacheLookup {
  /** The Machine the cache sends this request to: a hit. Absent on a miss. */
  target?: string;
  /** The path is under a configured cache: replays of the request carry `fly-replay-cache-status: miss`. */
  covered: boolean;
  /** A replay of this request reached `machineId`: remember it, if the replay may be cached. */
  remember(directive: ReplayDirective, machineId: string): void;
  /** Drop the entry: the Machine said `invalidate`, or the hit's Machine no longer runs. */
  invalidate(): void;
}

const NONE: CacheLookup = { covered: false, remember: () => undefined, invalidate: () => undefined };

/** One edge's replay cache (localfly's choice: each region's edge keeps its own, as each proxy would). */
export class ReplayCache {
  readonly #entries = new Map<string, { machineId: string; expires: number }>();

  constructor(
    readonly rules: readonly ReplayCacheRule[],
    private readonly now: () => number = Date.now,
    private readonly maxEntries = MAX_CACHE_ENTRIES,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** `useHit: false` when the request names its target itself (fly-force-instance-id and the like). */
  lookup(path: string, headers: IncomingHttpHeaders, useHit = true): CacheLookup {
    const q = path.indexOf('?');
    const bare = q === -1 ? path : path.slice(0, q);
    const index = this.rules.findIndex((r) => bare.startsWith(r.pathPrefix));
    if (index === -1) return NONE;
    const rule = this.rules[index]!;
    const raw = rule.type === 'cookie' ? cookieValue(headers.cookie, rule.name) : headers[rule.name.toLowerCase()];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined) return { ...NONE, covered: true };
    const key = `${index}\0${value}`;
    const entry = this.#entries.get(key);
    let target: string | undefined;
    if (entry !== undefined && entry.expires <= this.now()) this.#entries.delete(key);
    else if (useHit) target = entry?.machineId;
    return {
      target,
      covered: true,
      remember: (directive, machineId) => {
        if (!cacheable(directive)) return;
        this.#entries.delete(key);
        this.#entries.set(key, { machineId, expires: this.now() + rule.ttlSeconds * 1000 });
        if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      },
      invalidate: () => void this.#entries.delete(key),
    };
  }
}
