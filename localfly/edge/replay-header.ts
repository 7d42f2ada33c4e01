import { REGION_CODE_PATTERN } from '../regions.ts';
import type { ReplayKind } from './stats.ts';

/** Content type of the JSON form of a replay instruction (the body carries the fields). */
export const REPLAY_JSON_CONTENT_TYPE = 'application/vnd.fly.replay+json';

export type Fallback = 'force_self' | 'prefer_self';

export interface ReplayTransform {
  /** New path and query for the replayed request. */
  path?: string;
  deleteHeaders: string[];
  setHeaders: Array<{ name: string; value: string }>;
}

/** A parsed `fly-replay`, from the header or the JSON body. Unknown fields are ignored. */
export interface ReplayDirective {
  instance?: string;
  preferInstance?: string;
  /** `region=ams` or `region="ams,dfw"`; `any` matches every region. */
  regions?: string[];
  app?: string;
  state?: string;
  /** Exclude the responding Machine from the next choice. */
  elsewhere: boolean;
  /** How long the proxy tries the target (start + connect) before giving up. */
  timeoutMs?: number;
  fallback?: Fallback;
  transform?: ReplayTransform;
  /** The Machine also sent `fly-replay-cache: invalidate`: drop the replay cache entry that routed the request. */
  invalidateCache?: boolean;
}

export type ParsedReplay = { ok: true; directive: ReplayDirective } | { ok: false; error: string };

const ID = /^[0-9A-Za-z_-]{1,64}$/;
const APP = /^[a-z0-9-]{1,63}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

/** `5s`, `800ms`, `1.5s` -> milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text.trim());
  if (m === null) return null;
  const ms = m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/** Splits `a=1;b="x;y"` on `;` outside double quotes (never on `,`: commas are inside values). */
function splitFields(value: string): Array<[key: string, raw: string, quoted: boolean]> | string {
  const fields: Array<[string, string, boolean]> = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === ' ' || value[i] === '\t' || value[i] === ';') {
      i++;
      continue;
    }
    const semi = value.indexOf(';', i);
    const eq = value.indexOf('=', i);
    if (eq === -1 || (semi !== -1 && semi < eq))
      return `field ${JSON.stringify(value.slice(i, semi === -1 ? undefined : semi).trim())} has no value`;
    const key = value.slice(i, eq).trim().toLowerCase();
    if (key === '') return 'a field has no name';
    let j = eq + 1;
    while (value[j] === ' ') j++;
    if (value[j] === '"') {
      const close = value.indexOf('"', j + 1);
      if (close === -1) return `unterminated quote in ${key}`;
      fields.push([key, value.slice(j + 1, close), true]);
      j = close + 1;
      while (value[j] === ' ') j++;
      if (j < value.length && value[j] !== ';') return `unexpected text after the quoted value of ${key}`;
    } else {
      const end = value.indexOf(';', j) === -1 ? value.length : value.indexOf(';', j);
      fields.push([key, value.slice(j, end).trim(), false]);
      j = end;
    }
    i = j;
  }
  return fields;
}

type Fields = Partial<
  Record<'instance' | 'prefer_instance' | 'region' | 'app' | 'state' | 'elsewhere' | 'timeout' | 'fallback', unknown>
>;

/** Shared checks of both forms. `regionText` is the comma list (already unquoted). */
function build(fields: Fields, regionList: string[] | undefined): ParsedReplay {
  const d: ReplayDirective = { elsewhere: false };
  for (const key of ['instance', 'prefer_instance'] as const) {
    const v = fields[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !ID.test(v)) return { ok: false, error: `${key} must be a Machine id` };
    if (key === 'instance') d.instance = v;
    else d.preferInstance = v;
  }
  if (regionList !== undefined) {
    if (regionList.length === 0 || !regionList.every((r) => REGION_CODE_PATTERN.test(r)))
      return { ok: false, error: 'region must be region codes like ams, or "ams,dfw"' };
    d.regions = regionList;
  }
  if (fields.app !== undefined) {
    if (typeof fields.app !== 'string' || !APP.test(fields.app)) return { ok: false, error: 'app must be an app name' };
    d.app = fields.app;
  }
  if (fields.state !== undefined) {
    if (typeof fields.state !== 'string' || !HEADER_VALUE.test(fields.state))
      return { ok: false, error: 'state must be a string' };
    d.state = fields.state;
  }
  if (fields.elsewhere !== undefined) {
    const v = fields.elsewhere;
    if (v !== true && v !== false && v !== 'true' && v !== 'false')
      return { ok: false, error: 'elsewhere must be true or false' };
    d.elsewhere = v === true || v === 'true';
  }
  if (fields.timeout !== undefined) {
    const ms = typeof fields.timeout === 'string' ? parseDuration(fields.timeout) : null;
    if (ms === null) return { ok: false, error: 'timeout must be a duration like 5s or 800ms' };
    d.timeoutMs = ms;
  }
  if (fields.fallback !== undefined) {
    if (fields.fallback !== 'force_self' && fields.fallback !== 'prefer_self')
      return { ok: false, error: 'fallback must be force_self or prefer_self' };
    d.fallback = fields.fallback;
  }
  return { ok: true, directive: d };
}

/** Parses the `fly-replay` response header, e.g. `instance=286533db064e58;timeout=5s;fallback=prefer_self`. */
export function parseReplayHeader(value: string): ParsedReplay {
  const split = splitFields(value);
  if (typeof split === 'string') return { ok: false, error: split };
  if (split.length === 0) return { ok: false, error: 'empty fly-replay header' };
  const fields: Record<string, string> = {};
  let regionList: string[] | undefined;
  for (const [key, raw, quoted] of split) {
    if (Object.hasOwn(fields, key)) return { ok: false, error: `field ${key} given twice` };
    fields[key] = raw;
    if (key === 'region') {
      if (!quoted && raw.includes(','))
        return { ok: false, error: 'a list of regions must be quoted: region="ams,dfw"' };
      regionList = raw.split(',').map((r) => r.trim());
    }
  }
  return build(fields, regionList);
}

/** Parses the JSON form (`content-type: application/vnd.fly.replay+json`). */
export function parseReplayJson(text: string): ParsedReplay {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, error: 'replay body is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, error: 'replay body must be a JSON object' };
  const o = body as Record<string, unknown>;
  let regionList: string[] | undefined;
  if (o.region !== undefined) {
    if (typeof o.region === 'string') regionList = o.region.split(',').map((r) => r.trim());
    else if (Array.isArray(o.region) && o.region.every((r) => typeof r === 'string')) regionList = o.region as string[];
    else return { ok: false, error: 'region must be a string or a list of strings' };
  }
  const parsed = build(o, regionList);
  if (!parsed.ok || o.transform === undefined) return parsed;

  const t = o.transform as Record<string, unknown>;
  if (typeof t !== 'object' || t === null || Array.isArray(t))
    return { ok: false, error: 'transform must be an object' };
  const transform: ReplayTransform = { deleteHeaders: [], setHeaders: [] };
  if (t.path !== undefined) {
    if (typeof t.path !== 'string' || !t.path.startsWith('/') || !HEADER_VALUE.test(t.path) || t.path.includes(' ')) {
      return { ok: false, error: 'transform.path must be a path starting with /' };
    }
    transform.path = t.path;
  }
  if (t.delete_headers !== undefined) {
    if (
      !Array.isArray(t.delete_headers) ||
      !t.delete_headers.every((h) => typeof h === 'string' && HEADER_NAME.test(h))
    ) {
      return { ok: false, error: 'transform.delete_headers must be a list of header names' };
    }
    transform.deleteHeaders = t.delete_headers.map((h: string) => h.toLowerCase());
  }
  if (t.set_headers !== undefined) {
    const list = t.set_headers;
    const valid =
      Array.isArray(list) &&
      list.every(
        (h) =>
          typeof h === 'object' &&
          h !== null &&
          typeof h.name === 'string' &&
          HEADER_NAME.test(h.name) &&
          typeof h.value === 'string' &&
          HEADER_VALUE.test(h.value),
      );
    if (!valid) return { ok: false, error: 'transform.set_headers must be a list of {name, value}' };
    transform.setHeaders = (list as Array<{ name: string; value: string }>).map((h) => ({
      name: h.name.toLowerCase(),
      value: h.value,
    }));
  }
  return { ok: true, directive: { ...parsed.directive, transform } };
}

/** Which field chose the target, for stats and logs. */
export function replayKind(d: ReplayDirective): ReplayKind {
  if (d.instance !== undefined) return 'instance';
  if (d.preferInstance !== undefined) return 'prefer_instance';
  if (d.regions !== undefined) return 'region';
  return 'any';
}

/** `fly-replay-src: instance=<id>;region=<r>;t=<µs since epoch>[;state=<s>]` */
export function formatReplaySrc(src: { instance: string; region: string; tMicros: number; state?: string }): string {
  return `instance=${src.instance};region=${src.region};t=${src.tMicros}${src.state !== undefined ? `;state=${src.state}` : ''}`;
}

export type ReplayFailure = 'timeout' | 'retries_exhausted' | 'no_candidate';

/**
 * `fly-replay-failed: instance=<target>;app=<app>;region=<r>;replay_source=<src>;reason=<..>;elapsed_ms=<n>`
 * Fields the failed replay did not name (no instance for a region replay, say) are left out.
 */
export function formatReplayFailed(f: {
  instance?: string;
  app: string;
  region?: string;
  replaySource: string;
  reason: ReplayFailure;
  elapsedMs: number;
}): string {
  const parts: string[] = [];
  if (f.instance !== undefined) parts.push(`instance=${f.instance}`);
  parts.push(`app=${f.app}`);
  if (f.region !== undefined) parts.push(`region=${f.region}`);
  parts.push(
    `replay_source=${f.replaySource}`,
    `reason=${f.reason}`,
    `elapsed_ms=${Math.max(0, Math.round(f.elapsedMs))}`,
  );
  return parts.join(';');
}
