import { ChatLimiter } from '../../shared/chat-limiter.ts';
import { CloseCode, type ErrorMessage, encodeControl } from '../../shared/protocol.ts';
import type { Log } from './log.ts';
import type { Peer } from './peer.ts';

/** How many refused messages a socket may send (WS_MAX_BAD_MESSAGES per WS_BAD_MESSAGE_WINDOW_MS). */
export interface RefusalLimits {
  wsMaxBadMessages: number;
  wsBadMessageWindowMs: number;
}

/**
 * reply: send the `error`; skip: send nothing (the socket's backlog is over the limit, so a reply would
 * only pile up in memory behind it); close: the socket is over its budget.
 */
export type RefusalAction = 'reply' | 'skip' | 'close';

export function decideRefusal(withinBudget: boolean, bufferedBytes: number, maxBacklogBytes: number): RefusalAction {
  if (!withinBudget) return 'close';
  return bufferedBytes > maxBacklogBytes ? 'skip' : 'reply';
}

/** What a session hands to `refuse`. */
export interface Refusing {
  readonly peer: Peer;
  readonly refusals: RefusalBudget;
  close(code: number, reason: string): void;
}

/**
 * One socket's budget of refused messages (malformed or unexpected messages, chat over the rate): each
 * would otherwise queue an `error` reply, so a client that floods them and never reads would grow the
 * server's memory without bound.
 */
export class RefusalBudget {
  private readonly window: ChatLimiter;

  constructor(
    private readonly limits: RefusalLimits & { viewerMaxBacklogBytes: number },
    private readonly log: Log,
    private readonly context: Record<string, unknown>,
  ) {
    this.window = new ChatLimiter(limits.wsMaxBadMessages, limits.wsBadMessageWindowMs);
  }

  /** Counts one refused message, then replies with `error`, stays silent, or closes the socket with 1008. */
  refuse(session: Refusing, error: ErrorMessage, nowMs: number): void {
    const action = decideRefusal(
      this.window.tryTake(nowMs).ok,
      session.peer.bufferedAmount,
      this.limits.viewerMaxBacklogBytes,
    );
    if (action === 'reply') {
      session.peer.sendText(encodeControl(error));
    } else if (action === 'close') {
      // Once per socket: the session ignores everything after its close.
      this.log.info(
        { ...this.context, maxBadMessages: this.limits.wsMaxBadMessages, windowMs: this.limits.wsBadMessageWindowMs },
        'closing a socket that sent too many refused messages',
      );
      session.close(CloseCode.policy, 'too many refused messages');
    }
  }
}
