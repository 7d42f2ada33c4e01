import { ulid } from 'ulid';
import type { Clock } from './clock.ts';
import { LiveStream } from './live-stream.ts';
import type { Log } from './log.ts';
import { newCounters, type RelayCounters } from './relay-counters.ts';
import type { RelayLimits } from './relay-limits.ts';
import type { LocalStreamSource, StreamSummary } from './source.ts';
import type { StreamEvent } from './stream-types.ts';
import { Throttle } from './throttle.ts';
import { hashToken, newPublishToken, tokenMatches } from './tokens.ts';

export interface RegistryOptions {
  limits: RelayLimits;
  clock: Clock;
  log: Log;
  machineId: string | null;
  region: string | null;
  maxStreams: number;
  /** Created streams still waiting for their first publisher (MAX_PENDING_STREAMS). */
  maxPendingStreams: number;
}

/** What app.streams.stats() returns: gauges now, counters since start. */
export interface RelayStats extends RelayCounters {
  liveStreams: number;
  viewers: number;
  publishers: number;
  /** Sum of every viewer's ws.bufferedAmount; frames are shared, so real memory is at most this. */
  viewerBacklogBytes: number;
  /** Bytes held by the GOP caches. */
  gopBytes: number;
}

/** Why no stream can be created now, and when to try again. */
export interface CreateRefusal {
  status: 503;
  error: string;
  retryAfterMs: number;
}

/** A full Machine frees a slot only when a stream ends: the client is told to come back in this long. */
export const FULL_RETRY_AFTER_MS = 10_000;

export type CreateResult =
  | { ok: true; stream: LiveStream; publishToken: string }
  | { ok: false; status: 503; error: string };

/** Stream ids are ULIDs; the client's router uses the same pattern. */
export { STREAM_ID_PATTERN } from '../../shared/stream-id.ts';

/**
 * Every stream homed on this Machine. Implements the directory's LocalStreamSource: start and end
 * notify at once, viewer-count changes at most once per viewerCountIntervalMs.
 */
export class StreamRegistry implements LocalStreamSource {
  private readonly streams = new Map<string, LiveStream>();
  private readonly tokens = new Map<string, Buffer>();
  private readonly listeners = new Set<() => void>();
  private readonly counters = newCounters();
  private readonly countChange: Throttle;
  private acceptingStreams = true;

  constructor(private readonly options: RegistryOptions) {
    this.countChange = new Throttle(options.limits.viewerCountIntervalMs, () => this.notify(), options.clock);
  }

  get accepting(): boolean {
    return this.acceptingStreams;
  }

  /** Why `create` would refuse now, or null. */
  refusal(): CreateRefusal | null {
    const { maxStreams, maxPendingStreams, limits, clock } = this.options;
    if (!this.acceptingStreams) {
      return { status: 503, error: 'this Machine is shutting down; try again', retryAfterMs: FULL_RETRY_AFTER_MS };
    }
    if (this.streams.size >= maxStreams) {
      return {
        status: 503,
        error: `this Machine already hosts its maximum of ${maxStreams} streams`,
        retryAfterMs: FULL_RETRY_AFTER_MS,
      };
    }
    // Created streams nobody publishes to hold slots only until their start timeout: the oldest frees one first.
    let pending = 0;
    let oldestCreatedAt = Infinity;
    for (const stream of this.streams.values()) {
      if (stream.state !== 'waiting') continue;
      pending++;
      oldestCreatedAt = Math.min(oldestCreatedAt, stream.meta.createdAt);
    }
    if (pending >= maxPendingStreams) {
      return {
        status: 503,
        error: `this Machine already has ${maxPendingStreams} new streams waiting for their publisher`,
        retryAfterMs: Math.max(0, oldestCreatedAt + limits.publishStartTimeoutMs - clock.now()),
      };
    }
    return null;
  }

  create(meta: { title: string; creator: string }): CreateResult {
    const refusal = this.refusal();
    if (refusal !== null) return { ok: false, status: refusal.status, error: refusal.error };
    const id = ulid();
    const publishToken = newPublishToken();
    const { limits, clock, log, machineId, region } = this.options;
    const stream = new LiveStream(
      { id, title: meta.title, creator: meta.creator, createdAt: clock.now() },
      { limits, clock, log, machineId, region, counters: this.counters, onEvent: (s, e) => this.onStreamEvent(s, e) },
    );
    this.streams.set(id, stream);
    this.tokens.set(id, hashToken(publishToken));
    return { ok: true, stream, publishToken };
  }

  get(id: string): LiveStream | undefined {
    return this.streams.get(id);
  }

  tokenMatches(id: string, token: unknown): boolean {
    const hash = this.tokens.get(id);
    return hash !== undefined && tokenMatches(token, hash);
  }

  list(): StreamSummary[] {
    const out: StreamSummary[] = [];
    for (const stream of this.streams.values()) if (stream.listed) out.push(stream.summary());
    return out;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): RelayStats {
    let liveStreams = 0;
    let viewers = 0;
    let publishers = 0;
    let viewerBacklogBytes = 0;
    let gopBytes = 0;
    for (const stream of this.streams.values()) {
      viewerBacklogBytes += stream.backlogBytes();
      gopBytes += stream.gopBytes;
      if (stream.listed) liveStreams++;
      viewers += stream.viewerTotal;
      if (stream.publisherConnected) publishers++;
    }
    return { ...this.counters, liveStreams, viewers, publishers, viewerBacklogBytes, gopBytes };
  }

  /** Stop taking streams, close every socket with 1001, and tell listeners the list is now empty. */
  shutdown(): void {
    this.acceptingStreams = false;
    this.countChange.cancel();
    const hadListed = this.list().length > 0;
    const all = [...this.streams.values()];
    this.streams.clear();
    this.tokens.clear();
    for (const stream of all) stream.shutdown();
    if (hadListed) this.notify();
  }

  private onStreamEvent(stream: LiveStream, event: StreamEvent): void {
    if (event === 'ended') {
      this.streams.delete(stream.id);
      this.tokens.delete(stream.id);
      this.notify();
    } else if (event === 'listed') {
      this.notify();
    } else {
      this.countChange.trigger();
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        this.options.log.error({ err }, 'stream change listener failed');
      }
    }
  }
}
