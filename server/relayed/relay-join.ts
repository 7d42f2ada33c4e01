import type { NatsConnection } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';
import type { Clock } from '../streams/clock.ts';
import type { Log } from '../streams/log.ts';
import { Deadline } from '../streams/throttle.ts';
import { JoinReceiver, type JoinReply } from './join-receiver.ts';
import { requestQuietly } from './publish.ts';

/** A join that got a bad reply (NATS's "no responders") is asked again this often, until the join timeout. */
export const JOIN_RETRY_MS = 200;

export interface RelayJoinOptions {
  nc: NatsConnection;
  clock: Clock;
  log: Log;
  streamId: string;
  /** The stream's `.join` subject. */
  subject: string;
  /** This relay, as the request names it. */
  machineId: string;
  /** No good reply within this long (RELAY_JOIN_TIMEOUT_MS): onTimeout. */
  timeoutMs: number;
  onJoined(reply: JoinReply): void;
  onTimeout(): void;
}

/**
 * A relay's join request to a stream's home: sent again while the answer is not a join (the home's
 * subscription may not have reached this region yet), given up after the timeout.
 */
export class RelayJoin {
  private receiver: JoinReceiver | null = null;
  private readonly deadline: Deadline;
  private readonly retry: Deadline;

  constructor(private readonly opts: RelayJoinOptions) {
    this.deadline = new Deadline(opts.clock, () => {
      this.cancel();
      opts.onTimeout();
    });
    this.retry = new Deadline(opts.clock, () => this.request());
  }

  /** A new join (a first one, or again after NATS came back): the timeout starts over. */
  start(): void {
    this.deadline.start(this.opts.timeoutMs);
    this.request();
  }

  cancel(): void {
    this.deadline.cancel();
    this.retry.cancel();
    this.receiver?.cancel();
    this.receiver = null;
  }

  private request(): void {
    this.receiver?.cancel();
    const { nc, log, streamId } = this.opts;
    const inbox = createInbox();
    this.receiver = new JoinReceiver(nc, inbox, (result) => {
      if (result.ok) {
        this.cancel();
        this.opts.onJoined(result.value);
        return;
      }
      log.debug({ stream: streamId, error: result.error }, 'relay: no join reply yet; asking again');
      this.retry.start(JOIN_RETRY_MS);
    });
    requestQuietly(nc, this.opts.subject, inbox, JSON.stringify({ machineId: this.opts.machineId }), log);
  }
}
