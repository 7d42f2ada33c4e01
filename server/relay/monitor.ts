import { hostPort } from './addresses.ts';

/** The key figures of one nats-server, from its monitoring endpoint. Totals count since it started. */
export interface NatsFigures {
  /** Client connections (the app's own and any other client). */
  connections: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  slowConsumers: number;
  /** Route connections (to the other servers of this region). */
  routes: number;
  /** Regions this server has an outbound gateway connection to, sorted. */
  gatewaysOut: string[];
  /** Per remote region, its servers holding an inbound gateway connection here: every server of it dials us. */
  gatewaysIn: Record<string, number>;
  /** Messages sent over each outbound gateway. */
  gatewayOutMsgs: Record<string, number>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** Reads `/varz`, `/routez` and `/gatewayz` answers; a missing or odd field counts as zero. */
export function parseFigures(varz: unknown, routez: unknown, gatewayz: unknown): NatsFigures {
  const v = isObject(varz) ? varz : {};
  const r = isObject(routez) ? routez : {};
  const g = isObject(gatewayz) ? gatewayz : {};
  const outbound = isObject(g.outbound_gateways) ? g.outbound_gateways : {};
  const inbound = isObject(g.inbound_gateways) ? g.inbound_gateways : {};
  const gatewayOutMsgs: Record<string, number> = {};
  for (const [region, entry] of Object.entries(outbound)) {
    const connection = isObject(entry) && isObject(entry.connection) ? entry.connection : null;
    if (connection !== null) gatewayOutMsgs[region] = count(connection.out_msgs);
  }
  const gatewaysIn: Record<string, number> = {};
  for (const [region, list] of Object.entries(inbound)) {
    if (Array.isArray(list) && list.length > 0) gatewaysIn[region] = list.length;
  }
  return {
    connections: count(v.connections),
    inMsgs: count(v.in_msgs),
    outMsgs: count(v.out_msgs),
    inBytes: count(v.in_bytes),
    outBytes: count(v.out_bytes),
    slowConsumers: count(v.slow_consumers),
    routes: count(r.num_routes),
    gatewaysOut: Object.keys(gatewayOutMsgs).sort(),
    gatewaysIn,
    gatewayOutMsgs,
  };
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/** One poll of the monitoring endpoint; each request bounded by `timeoutMs`. */
export async function fetchFigures(host: string, port: number, timeoutMs: number): Promise<NatsFigures> {
  const base = `http://${hostPort(host, port)}`;
  const [varz, routez, gatewayz] = await Promise.all(
    ['/varz', '/routez', '/gatewayz'].map((path) => getJson(base + path, timeoutMs)),
  );
  return parseFigures(varz, routez, gatewayz);
}
