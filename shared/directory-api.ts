/**
 * Shapes of the directory's public API (`GET /api/streams`, `/api/streams/<id>`, the SSE feed at
 * `/api/streams/events`), shared so the server that sends them and the page that reads them agree.
 */

/** One live stream as the public API lists it. */
export interface DirectoryStream {
  id: string;
  title: string;
  creator: string;
  /** The stream's home Machine: viewers are routed there. */
  machineId: string;
  region: string;
  viewers: number;
  /** ms since the epoch. */
  startedAt: number;
  /** Moves between Machines so far (0 where it was created); a move names a new `machineId`. */
  epoch: number;
  /**
   * Where its viewers are served: its home first, then each Machine relaying it to at least one viewer
   * (from their snapshots).
   * `viewers` above is the home's total, which may run a second ahead of these.
   */
  servedBy?: ServedBy[];
  /**
   * Version of the stream's thumbnail that the answering Machine serves at `/api/streams/<id>/thumbnail`
   * (it grows with each new one); absent while it has none.
   */
  thumbnail?: number;
}

/** One Machine serving a stream's viewers: its home, or a relay. */
export interface ServedBy {
  machineId: string;
  region: string;
  viewers: number;
  role: 'home' | 'relay';
}

/** A stream a Machine relays for its home elsewhere, with the viewers it serves. */
export interface RelayedStreamLoad {
  id: string;
  viewers: number;
}

/** Whether a Machine can take relay work (its NATS engine): connected, or not, or NATS is off there. */
export type RelayReadiness = 'ok' | 'down' | 'off';
export const RELAY_READINESS: readonly RelayReadiness[] = ['ok', 'down', 'off'];

export interface DirectoryMachine {
  id: string;
  region: string;
  /** Number of live streams on it. */
  streams: number;
  /** Last successful contact with it, ms since the epoch (this Machine: now). */
  lastSeenMs: number;
  /** Its relay readiness; absent until it has reported one (or from a version that does not). */
  relay?: RelayReadiness;
  /** Its open stream sockets (viewers, home and relayed, plus publishers); absent until reported. */
  connections?: number;
  /** The streams it relays for their homes, with its viewers of each; absent until reported. */
  relayed?: RelayedStreamLoad[];
}

/** Body of `GET /api/streams` and of the SSE `state` event. */
export interface DirectoryView {
  streams: DirectoryStream[];
  machines: DirectoryMachine[];
  /** The answering Machine cannot refresh its directory (e.g. DNS down): the list may be old. */
  stale: boolean;
}

/** SSE event names: `state` first (a whole DirectoryView), then changes. */
export const DIRECTORY_EVENTS = ['state', 'stream', 'stream-removed', 'machines'] as const;
export type DirectoryEventName = (typeof DIRECTORY_EVENTS)[number];
