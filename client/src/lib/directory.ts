/**
 * The home page's model of the stream directory: `GET /api/streams` and the SSE feed at
 * `/api/streams/events` (events `state`, `stream`, `stream-removed`, `machines`). The shapes are
 * shared/directory-api.ts; everything received is checked before it reaches the page.
 */

import {
  DIRECTORY_EVENTS,
  type DirectoryMachine,
  type DirectoryStream,
  type DirectoryView,
} from '../../../shared/directory-api.ts';
import { isCount, isObject } from '../../../shared/guards.ts';
import { isMachineId } from '../../../shared/machine-id.ts';

export { DIRECTORY_EVENTS, type DirectoryMachine, type DirectoryStream, type DirectoryView };

export type DirectoryAction =
  | { type: 'state'; view: DirectoryView }
  | { type: 'stream'; stream: DirectoryStream }
  | { type: 'stream-removed'; id: string }
  | { type: 'machines'; machines: DirectoryMachine[]; stale: boolean };

export const EMPTY_VIEW: DirectoryView = { streams: [], machines: [], stale: false };

const isText = (v: unknown): v is string => typeof v === 'string';

export function parseStream(v: unknown): DirectoryStream | null {
  if (!isObject(v)) return null;
  const { id, title, creator, machineId, region, viewers, startedAt, thumbnail } = v;
  // A Machine from before moves sends no epoch.
  const epoch = v.epoch === undefined ? 0 : v.epoch;
  if (
    !isCount(epoch) ||
    !isText(id) ||
    id === '' ||
    !isText(title) ||
    !isText(creator) ||
    !isText(machineId) ||
    !isText(region) ||
    !isCount(viewers) ||
    !isCount(startedAt) ||
    (thumbnail !== undefined && (!isCount(thumbnail) || thumbnail === 0))
  ) {
    return null;
  }
  const stream: DirectoryStream = { id, title, creator, machineId, region, viewers, startedAt, epoch };
  if (thumbnail !== undefined) stream.thumbnail = thumbnail;
  return stream;
}

function parseMachine(v: unknown): DirectoryMachine | null {
  if (!isObject(v)) return null;
  const { id, region, streams, lastSeenMs } = v;
  if (!isText(id) || !isText(region) || !isCount(streams) || !isCount(lastSeenMs)) return null;
  return { id, region, streams, lastSeenMs };
}

function parseList<T>(v: unknown, item: (x: unknown) => T | null): T[] | null {
  if (!Array.isArray(v)) return null;
  const out: T[] = [];
  for (const x of v) {
    const parsed = item(x);
    if (parsed === null) return null;
    out.push(parsed);
  }
  return out;
}

/** Body of `GET /api/streams` (or the `state` event); null when it is not a directory view. */
export function parseView(v: unknown): DirectoryView | null {
  if (!isObject(v) || typeof v.stale !== 'boolean') return null;
  const streams = parseList(v.streams, parseStream);
  const machines = parseList(v.machines, parseMachine);
  if (streams === null || machines === null) return null;
  return { streams: sortStreams(streams), machines, stale: v.stale };
}

/** One SSE message to an action; null for unknown events or malformed data (ignored by the page). */
export function parseDirectoryEvent(event: string, data: string): DirectoryAction | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  switch (event) {
    case 'state': {
      const view = parseView(v);
      return view && { type: 'state', view };
    }
    case 'stream': {
      const stream = parseStream(v);
      return stream && { type: 'stream', stream };
    }
    case 'stream-removed':
      return isObject(v) && isText(v.id) ? { type: 'stream-removed', id: v.id } : null;
    case 'machines': {
      if (!isObject(v) || typeof v.stale !== 'boolean') return null;
      const machines = parseList(v.machines, parseMachine);
      return machines && { type: 'machines', machines, stale: v.stale };
    }
    default:
      return null;
  }
}

/** Newest first, then by id: the order the directory itself uses, so updates do not reshuffle cards. */
export function sortStreams(streams: DirectoryStream[]): DirectoryStream[] {
  return streams.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function reduceDirectory(state: DirectoryView, action: DirectoryAction): DirectoryView {
  switch (action.type) {
    case 'state':
      return action.view;
    case 'stream': {
      const others = state.streams.filter((s) => s.id !== action.stream.id);
      return { ...state, streams: sortStreams([...others, action.stream]) };
    }
    case 'stream-removed': {
      if (!state.streams.some((s) => s.id === action.id)) return state;
      return { ...state, streams: state.streams.filter((s) => s.id !== action.id) };
    }
    case 'machines':
      return { ...state, machines: action.machines, stale: action.stale };
  }
}

/**
 * `/watch/<id>?instance=<home>`: following the link is itself what routes the viewer home. Off Fly the
 * directory names the one server `local`, which is no Machine id: then the link has no `?instance=`.
 */
export function watchUrl(stream: Pick<DirectoryStream, 'id' | 'machineId'>): string {
  const path = `/watch/${encodeURIComponent(stream.id)}`;
  return isMachineId(stream.machineId) ? `${path}?instance=${stream.machineId}` : path;
}

/** Distinct regions with at least one Machine, sorted: "3 Machines in ams, dfw". */
export function regionsOf(machines: readonly DirectoryMachine[]): string[] {
  return [...new Set(machines.map((m) => m.region))].sort();
}
