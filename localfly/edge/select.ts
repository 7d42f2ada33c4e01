import { byDistanceFrom } from '../regions.ts';
import type { MachineState } from '../types.ts';
import type { ReplayDirective } from './replay-header.ts';

/** A Machine as the edge sees it when choosing: where it is, whether it runs, how busy it is. */
export interface Candidate {
  id: string;
  region: string;
  state: MachineState;
  /** Requests in flight plus open WebSockets through the edges. */
  load: number;
}

/** The Machine chosen; `start` when it is stopped and must be started first (Fly's auto start). */
export interface Choice {
  id: string;
  start: boolean;
  /** Set when a preferred Machine could not be used: the delivered request says so. */
  preferredUnavailable?: string;
}

export type RequestRoute = { ok: true; choice: Choice } | { ok: false; code: 'PR01' | 'PR02'; message: string };
export type ReplayRoute = { ok: true; choice: Choice } | { ok: false; code: 'PA04' | 'no_candidate'; message: string };

/** Random tie-break among equally loaded Machines; injected so tests are deterministic. */
export type Random = () => number;

const routable = (c: Candidate) => c.state === 'started';
/** A Machine being started already, or stopped: auto start can bring it up. */
const startable = (c: Candidate) => c.state === 'stopped' || c.state === 'starting';

export interface NearestOptions {
  /** Only these regions (`any` = all). */
  regions?: readonly string[];
  /** Never these Machines (the replay source with `elsewhere`, or Machines found unreachable). */
  exclude?: ReadonlySet<string>;
  random?: Random;
}

/**
 * Fly's load balancing, simplified: the least-loaded started Machine in the nearest region that
 * has one; when none is started anywhere allowed, the nearest stopped Machine, to auto start.
 */
export function pickNearest(
  candidates: readonly Candidate[],
  from: string,
  options: NearestOptions = {},
): Choice | null {
  const regions = options.regions;
  const pool = candidates.filter(
    (c) =>
      !(options.exclude?.has(c.id) ?? false) &&
      (regions === undefined || regions.includes('any') || regions.includes(c.region)),
  );
  const pick = (list: Candidate[]): Candidate | null => {
    if (list.length === 0) return null;
    const region = byDistanceFrom(
      from,
      list.map((c) => c.region),
    )[0];
    const inRegion = list.filter((c) => c.region === region);
    const least = Math.min(...inRegion.map((c) => c.load));
    const tied = inRegion.filter((c) => c.load === least);
    return tied[Math.min(tied.length - 1, Math.floor((options.random ?? Math.random)() * tied.length))] ?? null;
  };
  const started = pick(pool.filter(routable));
  if (started !== null) return { id: started.id, start: false };
  // Prefer one already starting over starting another.
  const starting = pool.filter((c) => c.state === 'starting');
  const stopped = pick(starting.length > 0 ? starting : pool.filter(startable));
  return stopped === null ? null : { id: stopped.id, start: true };
}

function splitList(header: string): string[] {
  return header
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter((r) => r !== '');
}

export interface RoutingHeaders {
  forceInstance?: string;
  preferInstance?: string;
  forceRegion?: string;
  preferRegion?: string;
}

/**
 * Where a client request goes first, from the request headers Fly honours (first match wins):
 * `fly-force-instance-id` (that Machine only; unknown is a PR02 error), `fly-prefer-instance-id`
 * (that Machine if it can run, else anywhere, flagged), `fly-force-region`, `fly-prefer-region`,
 * else the nearest region to the edge. `unavailable` lists Machines found unusable meanwhile.
 */
export function routeRequest(
  candidates: readonly Candidate[],
  edgeRegion: string,
  headers: RoutingHeaders,
  unavailable: ReadonlySet<string> = new Set(),
  random?: Random,
): RequestRoute {
  const usable = (c: Candidate | undefined) =>
    c !== undefined && !unavailable.has(c.id) && (routable(c) || startable(c));
  const nearest = (regions?: string[]) =>
    pickNearest(candidates, edgeRegion, { regions, exclude: unavailable, random });

  if (headers.forceInstance !== undefined) {
    const target = candidates.find((c) => c.id === headers.forceInstance);
    if (!usable(target))
      return {
        ok: false,
        code: 'PR02',
        message: `no Machine ${headers.forceInstance} to force this request to (fly-force-instance-id)`,
      };
    return { ok: true, choice: { id: target!.id, start: !routable(target!) } };
  }
  let flagged: string | undefined;
  if (headers.preferInstance !== undefined) {
    const target = candidates.find((c) => c.id === headers.preferInstance);
    if (usable(target)) return { ok: true, choice: { id: target!.id, start: !routable(target!) } };
    flagged = headers.preferInstance;
  }
  const flag = (choice: Choice): Choice =>
    flagged === undefined ? choice : { ...choice, preferredUnavailable: flagged };
  if (headers.forceRegion !== undefined) {
    const regions = splitList(headers.forceRegion);
    const choice = nearest(regions);
    if (choice === null)
      return { ok: false, code: 'PR01', message: `no Machine in ${regions.join(', ')} (fly-force-region)` };
    return { ok: true, choice: flag(choice) };
  }
  if (headers.preferRegion !== undefined) {
    const choice = nearest(splitList(headers.preferRegion));
    if (choice !== null) return { ok: true, choice: flag(choice) };
  }
  const choice = nearest();
  if (choice === null) return { ok: false, code: 'PR01', message: 'no Machine of this app can take the request' };
  return { ok: true, choice: flag(choice) };
}

/**
 * Where a replayed request goes: `instance` (that Machine only), `prefer_instance` (it, else the
 * nearest, flagged), `region` (the nearest Machine in those regions), or the nearest of all;
 * `elsewhere=true` excludes the Machine that asked. A replay to another app is PA04 (localfly runs one).
 */
export function routeReplay(
  candidates: readonly Candidate[],
  edgeRegion: string,
  directive: ReplayDirective,
  source: string,
  app: string,
  unavailable: ReadonlySet<string> = new Set(),
  random?: Random,
): ReplayRoute {
  if (directive.app !== undefined && directive.app !== app) {
    return {
      ok: false,
      code: 'PA04',
      message: `fly-replay names app ${directive.app}, which localfly does not run (it runs ${app})`,
    };
  }
  const exclude = new Set(unavailable);
  if (directive.elsewhere) exclude.add(source);
  const usable = (c: Candidate | undefined) =>
    c !== undefined && !unavailable.has(c.id) && (routable(c) || startable(c));

  if (directive.instance !== undefined) {
    const target = candidates.find((c) => c.id === directive.instance);
    if (!usable(target)) return { ok: false, code: 'no_candidate', message: `no Machine ${directive.instance}` };
    return { ok: true, choice: { id: target!.id, start: !routable(target!) } };
  }
  let flagged: string | undefined;
  if (directive.preferInstance !== undefined) {
    const target = candidates.find((c) => c.id === directive.preferInstance);
    if (usable(target)) return { ok: true, choice: { id: target!.id, start: !routable(target!) } };
    flagged = directive.preferInstance;
  }
  const choice = pickNearest(candidates, edgeRegion, { regions: directive.regions, exclude, random });
  if (choice === null) {
    const where = directive.regions !== undefined ? ` in ${directive.regions.join(', ')}` : '';
    return {
      ok: false,
      code: 'no_candidate',
      message: `no Machine${where}${directive.elsewhere ? ' other than the one replaying' : ''}`,
    };
  }
  return { ok: true, choice: flagged === undefined ? choice : { ...choice, preferredUnavailable: flagged } };
}
