import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Per-connection headers a proxy never forwards (RFC 9110 7.6.1), plus `expect` (the edge answered it). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'expect',
]);

/**
 * Headers only the proxy writes. A client sending its own is ignored (localfly's choice; Fly's
 * behaviour for forged values is not documented), so an app can trust them as loop guards.
 */
const PROXY_ONLY = [
  'fly-client-ip',
  'fly-region',
  'fly-request-id',
  'fly-forwarded-proto',
  'fly-forwarded-port',
  'fly-forwarded-ssl',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-ssl',
  'x-request-start',
  'fly-replay-src',
  'fly-replay-failed',
  'fly-preferred-instance-unavailable',
  'fly-replay-cache-status',
];

export interface EdgeRequestContext {
  /** The client's address as the edge saw it. */
  clientIp: string;
  /** The address the client connected to (Fly: the app's anycast IP). */
  edgeIp: string;
  edgePort: number;
  region: string;
  requestId: string;
  /** When the edge accepted the request, µs since the epoch. */
  startMicros: number;
}

/** Microseconds since the epoch (Fly's `t=` and `x-request-start` unit). */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** 127.0.0.1 rather than ::ffff:127.0.0.1, as Fly reports IPv4 clients. */
export function plainIp(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.)/, '');
}

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  return new Set(
    (value ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The headers a Machine receives: the client's, minus hop-by-hop ones, plus what Fly's proxy adds
 * (`fly-client-ip`, `x-forwarded-*`/`fly-forwarded-*`, `fly-region` = this edge, `fly-request-id`,
 * `via`, `x-request-start`). For a WebSocket handshake `connection`/`upgrade` are kept.
 */
export function flyRequestHeaders(
  incoming: IncomingHttpHeaders,
  ctx: EdgeRequestContext,
  upgrade: boolean,
): OutgoingHttpHeaders {
  const named = connectionTokens(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || PROXY_ONLY.includes(name)) continue;
    out[name] = value;
  }
  if (upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = incoming.upgrade ?? 'websocket';
  }
  const forwardedFor = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = `${forwardedFor !== undefined ? `${forwardedFor}, ` : ''}${ctx.clientIp}, ${ctx.edgeIp}`;
  out['fly-client-ip'] = ctx.clientIp;
  out['x-forwarded-proto'] = out['fly-forwarded-proto'] = 'http';
  out['x-forwarded-port'] = out['fly-forwarded-port'] = String(ctx.edgePort);
  out['x-forwarded-ssl'] = out['fly-forwarded-ssl'] = 'off';
  out['fly-region'] = ctx.region;
  out['fly-request-id'] = ctx.requestId;
  out.via = incoming.via !== undefined ? `${incoming.via}, 1.1 fly.io` : '1.1 fly.io';
  out['x-request-start'] = `t=${ctx.startMicros}`;
  return out;
}

/**
 * A Machine's response headers for the client, from the raw list (so repeated `set-cookie`
 * survive): hop-by-hop ones dropped, `fly-request-id` and `via` added as Fly's proxy does.
 * `fly-replay` is dropped too when the edge did not act on it (a delivery after a failed replay).
 */
export function clientResponseHeaders(
  rawHeaders: readonly string[],
  requestId: string,
  keepUpgrade = false,
): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  const named = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection')
      for (const t of rawHeaders[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    const upgradeHeader = keepUpgrade && (name === 'connection' || name === 'upgrade');
    if (!upgradeHeader && (HOP_BY_HOP.has(name) || named.has(name) || name === 'fly-replay')) continue;
    const existing = out[name];
    out[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  out['fly-request-id'] = requestId;
  const via = out.via;
  out.via = via === undefined ? '1.1 fly.io' : `${Array.isArray(via) ? via.join(', ') : via}, 1.1 fly.io`;
  return out;
}
