import type { Clock } from './clock.ts';
import type { LiveStream } from './live-stream.ts';
import type { Log } from './log.ts';
import type { RelayCounters } from './relay-counters.ts';
import type { RelayLimits } from './relay-limits.ts';

/**
 * waiting: created, no publisher yet (not listed); live: publisher connected;
 * grace: publisher dropped, may reconnect; ended: gone for good.
 */
export type StreamState = 'waiting' | 'live' | 'grace' | 'ended';
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
}
