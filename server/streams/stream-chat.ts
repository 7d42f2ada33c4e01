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

/** While a stream moves to another Machine its chat is refused with this retry hint (a move takes about a second). */
export const MOVING_CHAT_RETRY_MS = 2000;
export type ChatSender = Refusing & { limiter: ChatGate };

/** Viewers' chat rate per client address, shared by all its watch sockets on one stream (home or relay). */
export class ChatRates {
  private readonly perClient = new RatePerClient(CHAT_RATE_MAX_MESSAGES, CHAT_RATE_WINDOW_MS);

  /** The gate for a viewer socket: a client's sockets share one; without a key (in-process viewers) none. */
  gateFor(clientKey: string | undefined): ChatGate | undefined {
    if (clientKey === undefined) return undefined;
    return { tryTake: (nowMs) => this.perClient.tryTake(clientKey, nowMs) };
  }
}

/** Whether `from` may send a chat message now; when not, it was told when to try again. */
export function chatAllowed(from: ChatSender, now: number): boolean {
  const allowed = from.limiter.tryTake(now);
  if (allowed.ok) return true;
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
  return false;
}

/** A stream's chat: the recent history late joiners get, sequence numbers, and who may post how often. */
export class StreamChat {
  readonly history: ChatMessage[] = [];
  private paused = false;
  private readonly rates = new ChatRates();

  constructor(
    private readonly creator: string,
    /** The last number used: a stream resumed on another Machine goes on from its creator's last message. */
    private seq = 0,
  ) {}

  /** The stream is moving: refuse messages until the new home numbers them. */
  pause(): void {
    this.paused = true;
  }

  /** The gate for a viewer socket: a client's sockets share one; without a key (in-process viewers) none. */
  gateFor(clientKey: string | undefined): ChatGate | undefined {
    return this.rates.gateFor(clientKey);
  }

  /** The message to broadcast, or null when the sender is over its rate (it was told why). */
  admit(from: ChatSender, message: ChatSendMessage, role: ChatRole, now: number): ChatMessage | null {
    if (this.paused) {
      const error = 'the stream is moving to another Machine; send it again in a moment';
      from.refusals.refuse(
        from,
        { type: 'error', code: 'rate-limited', retryAfterMs: MOVING_CHAT_RETRY_MS, message: error },
        now,
      );
      return null;
    }
    if (!chatAllowed(from, now)) return null;
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
