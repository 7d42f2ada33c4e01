import type { RelayReadiness } from '../../shared/directory-api.ts';
import { byDistanceFrom } from '../../shared/region-distance.ts';
import type { RelayMode } from '../relayed/settings.ts';

/** Another Machine as the directory lists it, for picking a relay. */
export interface RelayCandidate {
  id: string;
  region: string;
  relay: RelayReadiness | undefined;
  /** Its open stream sockets; undefined when it has not said (then it is not picked). */
  connections: number | undefined;
}

/** What the hook knows about a watch page or watch socket request for relaying; no I/O. */
export interface WatchFacts {
  mode: RelayMode;
  selfRegion: string | null;
  /** NATS is up on this Machine (and RELAY_MODE is not off). */
  selfReady: boolean;
  selfConnections: number;
  /** `fly-region`: the edge that accepted the request. */
  edgeRegion: string | undefined;
  /** The stream's home from the directory; undefined when it does not list the stream. */
  home: { machineId: string; region: string; viewers: number } | undefined;
  /** The other Machines. */
  machines: readonly RelayCandidate[];
  /** RELAY_OVERFLOW_VIEWERS: a home this full overflows (overflow mode); a Machine with this many sockets is full. */
  overflowViewers: number;
}

/** Serve here as a relay, or replay to the relay named. */
export type RelayRoute = { kind: 'serve' } | { kind: 'replay'; target: string } | null;

const hasRoom = (connections: number, w: WatchFacts) => connections < w.overflowViewers;

/**
 * The least-loaded relay-ready Machine with room, other than the home and this one: in `region` only, or
 * (`region` null) in the edge's region first, then the nearest region that has one.
 */
export function pickRelay(w: WatchFacts, self: string, region: string | null): string | null {
  const ok = w.machines.filter(
    (m) =>
      m.id !== self &&
      m.id !== w.home?.machineId &&
      m.relay === 'ok' &&
      m.connections !== undefined &&
      hasRoom(m.connections, w) &&
      (region === null || m.region === region),
  );
  if (ok.length === 0) return null;
  const from = w.edgeRegion ?? w.home?.region ?? ok[0]!.region;
  const nearest = byDistanceFrom(
    from,
    ok.map((m) => m.region),
  )[0];
  const inRegion = ok.filter((m) => m.region === nearest);
  inRegion.sort((a, b) => a.connections! - b.connections! || (a.id < b.id ? -1 : 1));
  return inRegion[0]!.id;
}

/**
 * On a Machine that is not the stream's home (`target` is the home the link names). A request the home
 * (or another Machine) replayed here is served as a relay when NATS is up here. In `overflow` mode, once
 * the directory says the home is full, this Machine relays the viewer itself when it can (the home could
 * not replay a request already replayed to it), else replays it to a relay as the home would. In
 * `regional` mode a viewer whose edge is outside the home's region is served in its edge's region: here
 * when this Machine is there, ready and has room (no replay at all), else by a Machine there that is.
 */
export function relayAway(w: WatchFacts | undefined, self: string, target: string, replayed: boolean): RelayRoute {
  if (w === undefined || w.mode === 'off' || w.home?.machineId !== target) return null;
  if (replayed) return w.selfReady ? { kind: 'serve' } : null;
  if (w.mode === 'overflow') {
    if (w.home.viewers < w.overflowViewers) return null;
    if (w.selfReady && hasRoom(w.selfConnections, w)) return { kind: 'serve' };
    const relay = pickRelay(w, self, null);
    return relay === null ? null : { kind: 'replay', target: relay };
  }
  if (w.mode !== 'regional') return null;
  const edge = w.edgeRegion;
  if (edge === undefined || edge === w.home.region) return null;
  if (w.selfRegion === edge && w.selfReady && hasRoom(w.selfConnections, w)) return { kind: 'serve' };
  const there = pickRelay(w, self, edge);
  return there === null ? null : { kind: 'replay', target: there };
}

/**
 * On the stream's home, for a request not replayed yet. `overflow`: once the home has RELAY_OVERFLOW_VIEWERS
 * viewers in total, a new viewer goes to the least-loaded relay in its edge's region, else the nearest
 * region with room (none: the home serves it). `regional`: a viewer from another region goes to a relay
 * in its edge's region when there is one with room; the home's own region is served by the home.
 */
export function relayFromHome(w: WatchFacts | undefined, self: string, replayed: boolean): RelayRoute {
  if (w === undefined || replayed || w.home?.machineId !== self) return null;
  if (w.mode === 'overflow') {
    if (w.home.viewers < w.overflowViewers) return null;
    const relay = pickRelay(w, self, null);
    return relay === null ? null : { kind: 'replay', target: relay };
  }
  if (w.mode === 'regional') {
    const edge = w.edgeRegion;
    if (edge === undefined || edge === w.home.region) return null;
    const relay = pickRelay(w, self, edge);
    return relay === null ? null : { kind: 'replay', target: relay };
  }
  return null;
}
