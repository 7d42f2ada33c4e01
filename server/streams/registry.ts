import { ulid } from 'ulid';
import type { Clock } from './clock.ts';
import { LiveStream } from './live-stream.ts';
import type { Log } from './log.ts';
import { newCounters, type RelayCounters } from './relay-counters.ts';
import type { RelayLimits } from './relay-limits.ts';
import type { HoldState, LocalStreamSource, StreamSummary } from './source.ts';
import type { NewHome, StreamEvent, StreamMeta } from './stream-types.ts';
import { Throttle } from './throttle.ts';
import { PublishTokens } from './tokens.ts';

export interface RegistryOptions {
  limits: RelayLimits;
  clock: Clock;
  log: Log;
  machineId: string | null;
  region: string | null;
  maxStreams: number;
  /** Created streams still waiting for their first publisher (MAX_PENDING_STREAMS). */
  maxPendingStreams: number;
  /** Issues and checks publish tokens; default: a key of this process (tokens verify only here). */
  tokens?: PublishTokens;
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

/** A stream to take over from its previous home: what its creator's page knows of it. */
export type ResumeInput = Pick<StreamMeta, 'id' | 'title' | 'creator' | 'epoch'> & {
  startedAt: number;
  chatSeq: number;
};

export type ResumeResult =
  | { ok: true; stream: LiveStream }
  /** It is already held here (another resume won, or it never left). */
  | { ok: false; status: 409; error: string }
  | { ok: false; status: 503; error: string };

/** Stream ids are ULIDs; the client's router uses the same pattern. */
export { STREAM_ID_PATTERN } from '../../shared/stream-id.ts';

/**
 * Every stream homed on this Machine. Implements the directory's LocalStreamSource: start and end
 * notify at once, viewer-count changes at most once per viewerCountIntervalMs.
 */
export class StreamRegistry implements LocalStreamSource {
  private readonly streams = new Map<string, LiveStream>();
  readonly tokens: PublishTokens;
  private readonly listeners = new Set<() => void>();
  /** Called whenever a moving stream leaves (handed over or shut down). */
  private readonly moveWaiters = new Set<() => void>();
  private readonly counters = newCounters();
  private readonly countChange: Throttle;
  private acceptingStreams = true;

  constructor(private readonly options: RegistryOptions) {
    this.countChange = new Throttle(options.limits.viewerCountIntervalMs, () => this.notify(), options.clock);
    this.tokens = options.tokens ?? PublishTokens.from(null);
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
    const stream = this.add({
      id,
      title: meta.title,
      creator: meta.creator,
      createdAt: this.options.clock.now(),
      epoch: 0,
    });
    return { ok: true, stream, publishToken: this.tokens.issue(id) };
  }

  /**
   * Takes over a stream whose home went away (its token checked by the caller): the same id, one epoch
   * more, its start kept and its chat numbered on; it waits for its publisher like a created stream.
   */
  resume(input: ResumeInput): ResumeResult {
    if (this.streams.has(input.id)) {
      return { ok: false, status: 409, error: 'the stream is already live on this Machine' };
    }
    const refusal = this.refusal();
    if (refusal !== null) return { ok: false, status: 503, error: refusal.error };
    const { id, title, creator, startedAt, chatSeq, epoch } = input;
    const createdAt = this.options.clock.now();
    return { ok: true, stream: this.add({ id, title, creator, createdAt, epoch, startedAt, chatSeq }) };
  }

  private add(meta: StreamMeta): LiveStream {
    const { limits, clock, log, machineId, region } = this.options;
    const stream = new LiveStream(meta, {
      limits,
      clock,
      log,
      machineId,
      region,
      counters: this.counters,
      onEvent: (s, e) => this.onStreamEvent(s, e),
    });
    this.streams.set(meta.id, stream);
    return stream;
  }

  get(id: string): LiveStream | undefined {
    return this.streams.get(id);
  }

  /** A stream held here, and `token` is its publish token. */
  tokenMatches(id: string, token: unknown): boolean {
    return this.streams.has(id) && this.tokens.matches(id, token);
  }

  holds(id: string): HoldState {
    const state = this.streams.get(id)?.state;
    if (state === undefined || state === 'ended') return null;
    return state === 'moving' ? 'moving' : 'live';
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

  /**
   * This Machine is going away: stop taking streams; with `canMove`, every stream whose publisher can
   * resume elsewhere is asked to (it stays listed until `handOver`); the rest close at once with 1001.
   * Returns how many streams are moving.
   */
  beginMove(canMove: boolean): number {
    this.acceptingStreams = false;
    let moving = 0;
    let closed = false;
    for (const stream of [...this.streams.values()]) {
      if (canMove && stream.moveAway()) {
        moving++;
        continue;
      }
      closed ||= stream.listed;
      this.streams.delete(stream.id);
      stream.shutdown();
    }
    if (closed) this.notify();
    return moving;
  }

  /** Streams still waiting here for their new home to be known. */
  get moving(): number {
    let n = 0;
    for (const stream of this.streams.values()) if (stream.state === 'moving') n++;
    return n;
  }

  /** Resolves true once no stream is moving, false when `timeoutMs` passed first. */
  movesSettled(timeoutMs: number): Promise<boolean> {
    if (this.moving === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (this.moving > 0) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (settled: boolean) => {
        clearTimeout(timer);
        this.moveWaiters.delete(check);
        resolve(settled);
      };
      this.moveWaiters.add(check);
    });
  }

  /** Another Machine holds a newer claim on a stream held here: its viewers follow it there. */
  handOver(id: string, home: NewHome): void {
    this.streams.get(id)?.handOver(home);
  }

  /** Stop taking streams, close every socket with 1001, and tell listeners the list is now empty. */
  shutdown(): void {
    this.acceptingStreams = false;
    this.countChange.cancel();
    const hadListed = this.list().length > 0;
    const all = [...this.streams.values()];
    this.streams.clear();
    for (const stream of all) stream.shutdown();
    if (hadListed) this.notify();
    for (const waiter of [...this.moveWaiters]) waiter();
  }

  private onStreamEvent(stream: LiveStream, event: StreamEvent): void {
    if (event === 'ended') {
      this.streams.delete(stream.id);
      this.notify();
      for (const waiter of [...this.moveWaiters]) waiter();
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
