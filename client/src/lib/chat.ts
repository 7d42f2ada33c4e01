/**
 * Pure chat decisions both pages share (the watch page as a viewer, the go-live page as the creator):
 * how history and broadcasts merge, what a chat line on the wire looks like, and what the chat box
 * says about a refused line. No DOM here.
 */

import {
  CHAT_MAX_CHARS,
  CHAT_NAME_MAX_CHARS,
  CHAT_RATE_MAX_MESSAGES,
  CHAT_RATE_WINDOW_MS,
  type ChatMessage,
  type ChatSendMessage,
  type ErrorMessage,
  type ServerToPublisher,
  type ServerToViewer,
} from '../../../shared/protocol.ts';

/** The chat box's share of a page's view. */
export interface ChatView {
  chat: ChatMessage[];
  /** Why the last line was refused, in words; null when there is nothing to say. */
  chatError: string | null;
}

/** Chat lines kept on the page (the server replays its last 50 to late joiners). */
export const CHAT_KEPT_MESSAGES = 200;

/**
 * Adds broadcast messages in `seq` order, ignoring ones already shown. A hello's history replaces the
 * list when its numbering restarted (the stream now lives on another Machine).
 */
export function mergeChat(
  existing: readonly ChatMessage[],
  incoming: readonly ChatMessage[],
  fromHello: boolean,
): ChatMessage[] {
  const last = existing.length > 0 ? existing[existing.length - 1]!.seq : 0;
  if (fromHello && incoming.length > 0 && incoming[incoming.length - 1]!.seq < last) {
    return incoming.slice(-CHAT_KEPT_MESSAGES);
  }
  let next = existing as ChatMessage[];
  let top = last;
  for (const m of incoming) {
    if (m.seq <= top) continue;
    if (next === existing) next = existing.slice();
    next.push(m);
    top = m.seq;
  }
  return next.length > CHAT_KEPT_MESSAGES ? next.slice(-CHAT_KEPT_MESSAGES) : next;
}

/** What a message from the server changes in the chat box; null when it is not about chat. */
export function chatUpdate(
  chat: readonly ChatMessage[],
  message: ServerToViewer | ServerToPublisher,
): Partial<ChatView> | null {
  switch (message.type) {
    case 'hello':
      return { chat: mergeChat(chat, message.chat, true) };
    case 'chat':
      return { chat: mergeChat(chat, [message], false) };
    case 'error': {
      const chatError = chatErrorText(message);
      return chatError === null ? null : { chatError };
    }
    default:
      return null;
  }
}

/**
 * The chat message to send for what was typed; null when there is nothing to send. Text and name are
 * trimmed and cut to the protocol's limits; an empty name is left out (the server says "viewer").
 */
export function chatLine(text: string, name = ''): ChatSendMessage | null {
  const trimmed = text.trim().slice(0, CHAT_MAX_CHARS);
  if (trimmed === '') return null;
  const who = name.trim().slice(0, CHAT_NAME_MAX_CHARS);
  return who === '' ? { type: 'chat', text: trimmed } : { type: 'chat', text: trimmed, name: who };
}

/** Seconds to show in "try again in N s" for a rate-limited chat message. */
export function retryAfterSeconds(retryAfterMs: number | undefined): number | null {
  return retryAfterMs === undefined ? null : Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/** What the chat box shows for a server error message; null for errors that are not about chat. */
export function chatErrorText(error: ErrorMessage): string | null {
  if (error.code === 'rate-limited') return rateLimitedText(error.retryAfterMs);
  if (error.code === 'chat-invalid') return error.message;
  return null;
}

export function rateLimitedText(retryAfterMs: number | undefined): string {
  const secs = retryAfterSeconds(retryAfterMs);
  return `Slow down: chat allows ${CHAT_RATE_MAX_MESSAGES} messages every ${CHAT_RATE_WINDOW_MS / 1000} seconds.${secs === null ? '' : ` Try again in ${secs} s.`}`;
}
