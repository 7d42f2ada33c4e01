import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../streams/clock.ts';
import type { Log } from '../streams/log.ts';
import type { Peer } from '../streams/peer.ts';
import type { RelayCounters } from '../streams/relay-counters.ts';
import type { RelayLimits } from '../streams/relay-limits.ts';
import type { ViewerSession } from '../streams/viewer-session.ts';
import { RelayedStream } from './relayed-stream.ts';

/** One stream this Machine relays, as its directory snapshot lists it. */
export interface RelayedSummary {
  id: string;
  viewers: number;
}

export interface RelaySetOptions {
  /** The app's NATS connection, when there is one and it is ready to relay. */
  connection(): NatsConnection | null;
  /** Where a stream lives, from the directory; undefined when no Machine lists it. */
  homeOf(id: string): { machineId: string } | undefined;
  self: { machineId: string; region: string };
  limits: RelayLimits;
  clock: Clock;
  counters: RelayCounters;
  log: Log;
  lingerMs: number;
  joinTimeoutMs: number;
  heartbeatMs: number;
  /** RELAY_HELD_CHAT_MAX (chat-to-home.ts); its default when absent. */
  heldChatMax?: number;
  /** What the directory advertises changed: a stream started or stopped being relayed, or a count moved. */
  onChange(): void;
}

/** The streams this Machine relays for their homes elsewhere: one subscription each, opened on demand. */
export class RelaySet {
  private readonly streams = new Map<string, RelayedStream>();

  constructor(private readonly opts: RelaySetOptions) {}

  /** Whether a watch socket for `id` can be relayed here now. */
  canServe(id: string): boolean {
    const held = this.streams.get(id);
    if (held !== undefined && !held.closed) return true;
    const home = this.opts.homeOf(id);
    return home !== undefined && home.machineId !== this.opts.self.machineId && this.opts.connection() !== null;
  }

  /** A viewer of `id` here: the stream is subscribed on its first viewer. Null when it cannot be relayed. */
  addViewer(id: string, peer: Peer, clientKey?: string): ViewerSession | null {
    let stream = this.streams.get(id);
    if (stream === undefined || stream.closed) {
      const nc = this.opts.connection();
      if (nc === null || !this.canServe(id)) return null;
      stream = new RelayedStream(id, {
        nc,
        limits: this.opts.limits,
        clock: this.opts.clock,
        counters: this.opts.counters,
        log: this.opts.log,
        self: this.opts.self,
        lingerMs: this.opts.lingerMs,
        joinTimeoutMs: this.opts.joinTimeoutMs,
        heartbeatMs: this.opts.heartbeatMs,
        heldChatMax: this.opts.heldChatMax,
        onClosed: (s) => {
          if (this.streams.get(s.id) === s) this.streams.delete(s.id);
          this.opts.onChange();
        },
        onCount: () => this.opts.onChange(),
      });
      this.streams.set(id, stream);
      this.opts.log.info({ stream: id }, 'relay: subscribed for a first viewer');
    }
    return stream.addViewer(peer, stream.gateFor(clientKey));
  }

  get size(): number {
    return this.streams.size;
  }

  /** Viewer sockets served here as a relay. */
  get viewers(): number {
    let n = 0;
    for (const stream of this.streams.values()) n += stream.localViewers;
    return n;
  }

  list(): RelayedSummary[] {
    return [...this.streams.values()].map((s) => ({ id: s.id, viewers: s.localViewers }));
  }

  /** The NATS link is lost: frames from now on are missing, so every stream waits for its next keyframe. */
  suspendAll(): void {
    for (const stream of this.streams.values()) stream.suspend();
  }

  /** The NATS link came back after a cut: frames were lost, so every stream rejoins at its next keyframe. */
  rejoinAll(): void {
    for (const stream of this.streams.values()) stream.sendJoin();
  }

  /** Streams whose home no longer lists them (it crashed without a word): their viewers ask the directory again. */
  dropOrphans(): void {
    for (const stream of [...this.streams.values()]) {
      if (stream.live && this.opts.homeOf(stream.id) === undefined) {
        stream.close(null, 1001, 'stream no longer listed by its home');
      }
    }
  }

  /** This Machine is going away (or NATS is gone): every relayed viewer gets 1001 and asks again. */
  closeAll(reason: string): void {
    for (const stream of [...this.streams.values()]) stream.close(null, 1001, reason);
  }
}
