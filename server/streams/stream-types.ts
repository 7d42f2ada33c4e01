import type { Clock } from './clock.ts';
import type { LiveStream } from './live-stream.ts';
import type { Log } from './log.ts';
import type { RelayCounters } from './relay-counters.ts';
import type { RelayLimits } from './relay-limits.ts';

/**
 * waiting: created, no publisher yet (not listed); live: publisher connected;
 * grace: publisher dropped, may reconnect; moving: this Machine is going away and its publisher was
 * told to resume elsewhere (still listed, viewers kept until the new home is known); ended: gone for good.
 */
export type StreamState = 'waiting' | 'live' | 'grace' | 'moving' | 'ended';
export type StreamEvent = 'listed' | 'viewers' | 'ended';

export interface StreamDeps {
  limits: RelayLimits;
  clock: Clock;
  counters: RelayCounters;
  log: Log;
  machineId: string | null;
  region: string | null;
  /** Called on state changes the directory cares about (viewers: already throttled per stream). */
  onEvent(stream: LiveStream, event: StreamEvent): void;
}

export interface StreamMeta {
  id: string;
  title: string;
  creator: string;
  createdAt: number;
  /** Moves so far (0 where it was created). */
  epoch: number;
  /** A stream resumed here keeps the start it had on its previous home. */
  startedAt?: number;
  /** ... and goes on numbering chat after the last message its creator saw there. */
  chatSeq?: number;
}

/** Where a stream went: the Machine that now holds its newest claim. */
export interface NewHome {
  machineId: string;
  region: string;
}
