import type { DirectoryMachine, DirectoryStream, DirectoryView, ServedBy } from '../../shared/directory-api.ts';
import { compareClaims } from './claims.ts';
import type { Snapshot } from './snapshot.ts';
import type { MachineRecord } from './state.ts';

export type { DirectoryMachine, DirectoryStream, DirectoryView };

/** SSE events after the initial `state`: what changed between two views. */
export type ViewEvent =
  | { event: 'stream'; data: DirectoryStream }
  | { event: 'stream-removed'; data: { id: string } }
  | { event: 'machines'; data: { machines: DirectoryMachine[]; stale: boolean } };

interface Source {
  snapshot: Snapshot;
  lastSeenMs: number;
}

/**
 * The public view: this Machine's own snapshot plus every shown peer. Newest streams first (then by id);
 * Machines by region, then id. Should two Machines claim one stream id (its old and new homes while it
 * moves, an old home that comes back), the claim that `compareClaims` ranks first is listed: the
 * higher epoch, so every Machine lists a stream once, with its newest home.
 */
export function buildView(
  self: Snapshot | null,
  records: Iterable<MachineRecord>,
  nowMs: number,
  stale: boolean,
): DirectoryView {
  const sources: Source[] = [];
  if (self !== null) sources.push({ snapshot: self, lastSeenMs: nowMs });
  for (const rec of records) {
    if (rec.snapshot !== null && rec.snapshot.machineId !== self?.machineId) {
      sources.push({ snapshot: rec.snapshot, lastSeenMs: rec.lastSeenMs ?? nowMs });
    }
  }
  const byId = new Map<string, DirectoryStream>();
  const homeViewers = new Map<string, number>();
  const machines: DirectoryMachine[] = [];
  for (const { snapshot, lastSeenMs } of sources) {
    const machine: DirectoryMachine = {
      id: snapshot.machineId,
      region: snapshot.region,
      streams: snapshot.streams.length,
      lastSeenMs,
    };
    if (snapshot.relay !== undefined) machine.relay = snapshot.relay;
    if (snapshot.connections !== undefined) machine.connections = snapshot.connections;
    if (snapshot.relayed !== undefined) machine.relayed = snapshot.relayed;
    machines.push(machine);
    for (const s of snapshot.streams) {
      const held = byId.get(s.id);
      if (held !== undefined && compareClaims(held, { ...s, machineId: snapshot.machineId }) >= 0) continue;
      homeViewers.set(s.id, s.homeViewers ?? s.viewers);
      byId.set(s.id, {
        id: s.id,
        title: s.title,
        creator: s.creator,
        machineId: snapshot.machineId,
        region: snapshot.region,
        viewers: s.viewers,
        startedAt: s.startedAt,
        epoch: s.epoch,
        ...(s.thumbnail !== undefined && { thumbnail: s.thumbnail }),
      });
    }
  }
  addServedBy(byId, sources, homeViewers);
  const streams = [...byId.values()].sort(
    (a, b) => b.startedAt - a.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  machines.sort((a, b) =>
    a.region < b.region ? -1 : a.region > b.region ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  return { streams, machines, stale };
}

/**
 * Where each relayed stream's viewers are: its home, then every Machine whose snapshot says it relays it
 * with viewers (by region, then id). Streams nobody relays to a viewer get no list: all their viewers are
 * on the home.
 */
function addServedBy(byId: Map<string, DirectoryStream>, sources: Source[], homeViewers: Map<string, number>): void {
  const relays = new Map<string, ServedBy[]>();
  for (const { snapshot } of sources) {
    for (const r of snapshot.relayed ?? []) {
      const stream = byId.get(r.id);
      // A relay still subscribed for RELAY_LINGER_MS after its last viewer left serves no one.
      if (stream === undefined || stream.machineId === snapshot.machineId || r.viewers === 0) continue;
      const list = relays.get(r.id) ?? [];
      relays.set(r.id, list);
      list.push({ machineId: snapshot.machineId, region: snapshot.region, viewers: r.viewers, role: 'relay' });
    }
  }
  for (const [id, list] of relays) {
    const stream = byId.get(id)!;
    list.sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : a.machineId < b.machineId ? -1 : 1));
    const home: ServedBy = {
      machineId: stream.machineId,
      region: stream.region,
      viewers: homeViewers.get(id) ?? stream.viewers,
      role: 'home',
    };
    stream.servedBy = [home, ...list];
  }
}

const sameServedBy = (a: ServedBy[] | undefined, b: ServedBy[] | undefined) => JSON.stringify(a) === JSON.stringify(b);

function sameStream(a: DirectoryStream, b: DirectoryStream): boolean {
  return (
    a.title === b.title &&
    a.creator === b.creator &&
    a.machineId === b.machineId &&
    a.region === b.region &&
    a.viewers === b.viewers &&
    a.startedAt === b.startedAt &&
    a.epoch === b.epoch &&
    a.thumbnail === b.thumbnail &&
    sameServedBy(a.servedBy, b.servedBy)
  );
}

/** Machines differ for the SSE feed when membership, region, stream count or relay readiness changes; lastSeenMs alone does not. */
function sameMachines(a: readonly DirectoryMachine[], b: readonly DirectoryMachine[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (m, i) =>
        m.id === b[i]!.id &&
        m.region === b[i]!.region &&
        m.streams === b[i]!.streams &&
        m.relay === b[i]!.relay &&
        m.connections === b[i]!.connections &&
        JSON.stringify(m.relayed) === JSON.stringify(b[i]!.relayed),
    )
  );
}

/** The SSE events that turn `prev` into `next`: removals, then additions/updates, then machines. */
export function diffViews(prev: DirectoryView, next: DirectoryView): ViewEvent[] {
  const events: ViewEvent[] = [];
  const nextById = new Map(next.streams.map((s) => [s.id, s]));
  const prevById = new Map(prev.streams.map((s) => [s.id, s]));
  for (const s of prev.streams) if (!nextById.has(s.id)) events.push({ event: 'stream-removed', data: { id: s.id } });
  for (const s of next.streams) {
    const before = prevById.get(s.id);
    if (before === undefined || !sameStream(before, s)) events.push({ event: 'stream', data: s });
  }
  if (prev.stale !== next.stale || !sameMachines(prev.machines, next.machines)) {
    events.push({ event: 'machines', data: { machines: next.machines, stale: next.stale } });
  }
  return events;
}
