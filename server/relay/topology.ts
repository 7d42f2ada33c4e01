import { normalizeAddress } from '../directory/address.ts';

/** One region's Machines as `.internal` DNS lists them (`<region>.<app>.internal` AAAA). */
export interface RegionAddresses {
  region: string;
  addresses: readonly string[];
}

export interface GatewayTarget {
  region: string;
  addresses: string[];
}

/** Who this Machine's nats-server connects to. Sorted, so two equal topologies compare equal. */
export interface Topology {
  /** The other Machines of this region: one route each. */
  routes: string[];
  /** One gateway per other region, to its Machines. */
  gateways: GatewayTarget[];
}

export const EMPTY_TOPOLOGY: Topology = { routes: [], gateways: [] };

function sortedUnique(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map(normalizeAddress))].sort();
}

/** This Machine's routes and gateways from its region, its own address and every region's addresses. */
export function buildTopology(selfRegion: string, selfAddress: string, regions: readonly RegionAddresses[]): Topology {
  const self = normalizeAddress(selfAddress);
  const routes: string[] = [];
  const gateways: GatewayTarget[] = [];
  for (const { region, addresses } of regions) {
    const list = sortedUnique(addresses).filter((a) => a !== self);
    if (region === selfRegion) routes.push(...list);
    else if (list.length > 0) gateways.push({ region, addresses: list });
  }
  gateways.sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0));
  return { routes: sortedUnique(routes), gateways };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export type Plan =
  | { action: 'none' }
  /** SIGHUP: nats-server reloads routes in place; its clients and gateways stay connected. */
  | { action: 'reload'; write: Topology }
  /** nats-server 2.9 cannot reload a changed gateway section: a new process with `write`. */
  | { action: 'restart'; write: Topology; reason: string };

/**
 * What a membership change does to a running server. Routes: reload. Gateways are written only at a
 * start and kept as they are afterwards, because nats-server cannot reload them and does not need to:
 * a region that appears later dials this server itself (its Machines start knowing every region) and
 * the gateway back is learned from it, and a region's new Machines are gossiped. Two cases need a
 * restart: a configured region has gone (its explicit gateway would be dialled forever), and a region
 * that has stayed unconnected past the grace period (`overdue`: neither side had the other configured).
 */
export function planChange(running: Topology, desired: Topology, overdue: readonly string[] = []): Plan {
  const desiredRegions = new Set(desired.gateways.map((g) => g.region));
  const gone = running.gateways.filter((g) => !desiredRegions.has(g.region)).map((g) => g.region);
  if (gone.length > 0) return { action: 'restart', write: desired, reason: `region gone: ${gone.join(', ')}` };
  const configured = new Set(running.gateways.map((g) => g.region));
  const unreached = overdue.filter((r) => desiredRegions.has(r) && !configured.has(r));
  if (unreached.length > 0) {
    return { action: 'restart', write: desired, reason: `no gateway to ${unreached.join(', ')}` };
  }
  if (sameList(running.routes, desired.routes)) return { action: 'none' };
  return { action: 'reload', write: { routes: desired.routes, gateways: running.gateways } };
}

/**
 * Regions wanted but not connected, with the time each was first seen so (`since`, updated in place);
 * returns those unconnected for at least `graceMs`. Connected or unwanted regions are forgotten.
 */
export function overdueRegions(
  since: Map<string, number>,
  wanted: readonly string[],
  connected: ReadonlySet<string>,
  nowMs: number,
  graceMs: number,
): string[] {
  const missing = new Set(wanted.filter((r) => !connected.has(r)));
  for (const region of [...since.keys()]) if (!missing.has(region)) since.delete(region);
  for (const region of missing) if (!since.has(region)) since.set(region, nowMs);
  return [...since].filter(([, at]) => nowMs - at >= graceMs).map(([region]) => region);
}
