import {
  CHAT_HISTORY_MESSAGES,
  CHAT_RATE_MAX_MESSAGES,
  CHAT_RATE_WINDOW_MS,
  type ChatMessage,
  type ChatSendMessage,
} from '../../shared/protocol.ts';
import { RatePerClient } from '../clients/per-client.ts';
import type { Refusing } from './refusals.ts';
import type { ChatGate } from './viewer-session.ts';

export type ChatRole = 'viewer' | 'creator';
export type ChatSender = Refusing & { limiter: ChatGate };

/** A stream's chat: the recent history late joiners get, sequence numbers, and who may post how often. */
export class StreamChat {
  readonly history: ChatMessage[] = [];
  private seq = 0;
  /** Viewers' chat rate per client address, shared by all its watch sockets on this stream. */
  private readonly perClient = new RatePerClient(CHAT_RATE_MAX_MESSAGES, CHAT_RATE_WINDOW_MS);

  constructor(private readonly creator: string) {}

  /** The gate for a viewer socket: a client's sockets share one; without a key (in-process viewers) none. */
  gateFor(clientKey: string | undefined): ChatGate | undefined {
    if (clientKey === undefined) return undefined;
    return { tryTake: (nowMs) => this.perClient.tryTake(clientKey, nowMs) };
  }

  /** The message to broadcast, or null when the sender is over its rate (it was told why). */
  admit(from: ChatSender, message: ChatSendMessage, role: ChatRole, now: number): ChatMessage | null {
    const allowed = from.limiter.tryTake(now);
    if (!allowed.ok) {
      from.refusals.refuse(
        from,
        {
          type: 'error',
          code: 'rate-limited',
          retryAfterMs: allowed.retryAfterMs,
          message: `at most ${CHAT_RATE_MAX_MESSAGES} chat messages per ${CHAT_RATE_WINDOW_MS / 1000} s from one address; try again in ${Math.ceil(allowed.retryAfterMs / 1000)} s`,
        },
        now,
      );
      return null;
    }
    const chat: ChatMessage = {
      seq: ++this.seq,
      name: role === 'creator' ? this.creator : (message.name ?? 'viewer'),
      text: message.text,
      at: now,
      role,
    };
    this.history.push(chat);
    if (this.history.length > CHAT_HISTORY_MESSAGES) this.history.shift();
    return chat;
  }
}
