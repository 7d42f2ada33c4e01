import type { RelayStatus } from '../relay/readiness.ts';
import type { Clock } from '../streams/clock.ts';
import { Deadline } from '../streams/throttle.ts';

/** What an outage acts on: this Machine's relayed streams. */
export interface OutageRelays {
  readonly size: number;
  /** NATS is away: frames are being lost, so every stream waits for its next keyframe. */
  suspendAll(): void;
  /** Frames were lost while NATS was away: every stream rejoins at its next keyframe. */
  rejoinAll(): void;
  /** NATS stayed away: every relayed viewer is closed with 1001 and asks the directory again. */
  closeAll(reason: string): void;
}

/**
 * Follows this Machine's NATS readiness for its relayed streams. A short outage (a slow consumer cut by
 * the write deadline, a nats-server restart) is ridden out: the viewers keep their sockets and resume at
 * the next keyframe once NATS is back. One longer than `downMs` (RELAY_JOIN_TIMEOUT_MS) sends them back.
 */
export class RelayOutage {
  private wasReady = false;
  private readonly giveUp: Deadline;

  constructor(
    private readonly relays: OutageRelays,
    private readonly downMs: number,
    clock: Clock,
  ) {
    this.giveUp = new Deadline(clock, () => relays.closeAll('this relay lost NATS'));
  }

  /** Each readiness change of the NATS engine (the first call tells the state at start). */
  status(status: RelayStatus): void {
    const ready = status === 'ok';
    if (ready) {
      this.giveUp.cancel();
      if (!this.wasReady) this.relays.rejoinAll();
    } else if (this.wasReady && this.relays.size > 0) {
      this.relays.suspendAll();
      // From the first loss: a change between two not-ready states does not restart the limit.
      this.giveUp.start(this.downMs);
    }
    this.wasReady = ready;
  }

  cancel(): void {
    this.giveUp.cancel();
  }
}
