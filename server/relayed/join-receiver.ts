import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Result } from '../../shared/protocol.ts';
import { type JoinHeader, parseJoinHeader } from './subjects.ts';

export interface JoinReply {
  header: JoinHeader;
  /** The home's cached GOP, oldest first, each frame byte for byte. */
  frames: Uint8Array[];
}

/**
 * Collects one join reply on a relay's inbox: the header, then as many frames as it announces. The
 * frames are copied out of the client's read buffer, which the next read reuses.
 */
export class JoinReceiver {
  private readonly sub: Subscription;
  private header: JoinHeader | null = null;
  private readonly frames: Uint8Array[] = [];
  private done = false;

  constructor(nc: NatsConnection, inbox: string, onReply: (result: Result<JoinReply>) => void) {
    this.sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err !== null || this.done) return;
        if (this.header === null) {
          const parsed = parseJoinHeader(msg.data);
          if (!parsed.ok) return this.finish(onReply, parsed);
          this.header = parsed.value;
        } else {
          this.frames.push(Uint8Array.prototype.slice.call(msg.data));
        }
        if (this.frames.length === this.header.frames) {
          this.finish(onReply, { ok: true, value: { header: this.header, frames: this.frames } });
        }
      },
    });
  }

  cancel(): void {
    this.done = true;
    this.sub.unsubscribe();
  }

  private finish(onReply: (result: Result<JoinReply>) => void, result: Result<JoinReply>): void {
    this.cancel();
    onReply(result);
  }
}
