/**
 * The socket half that the go-live page's Publisher and the watch page's WatchSession share: one
 * WebSocket at a time to `/ws/<kind>/<id>`, text messages parsed and checked, nothing heard from a
 * socket once another replaced it, and chat both ways (lines sent under the same rate limit the server
 * enforces; history, broadcasts and refusals turned into chat-box updates).
 */

import { ChatLimiter } from '../../../shared/chat-limiter.ts';
import {
  CHAT_RATE_MAX_MESSAGES,
  CHAT_RATE_WINDOW_MS,
  type ChatBroadcast,
  type ChatMessage,
  type ControlMessage,
  type ErrorMessage,
  encodeControl,
  PROTOCOL_QUERY_PARAM,
  PROTOCOL_VERSION,
  type Result,
  type ServerToPublisher,
  type ServerToViewer,
} from '../../../shared/protocol.ts';
import { type ChatView, chatLine, chatUpdate, rateLimitedText } from './chat.ts';

/** WebSocket.OPEN, spelled out so this module loads where there is no WebSocket global (unit tests). */
const OPEN = 1;

export type SocketKind = 'publish' | 'watch';

/**
 * `ws(s)://<host>/ws/<kind>/<id>?<params>`. Browsers cannot set headers on a WebSocket, so the routing
 * layer reads the home Machine from `?instance=` instead of `fly-force-instance-id`.
 */
export function streamSocketUrl(
  page: Pick<Location, 'protocol' | 'host'>,
  kind: SocketKind,
  streamId: string,
  params: Record<string, string>,
): string {
  const scheme = page.protocol === 'https:' ? 'wss' : 'ws';
  const query = new URLSearchParams(params).toString();
  return `${scheme}://${page.host}/ws/${kind}/${encodeURIComponent(streamId)}${query === '' ? '' : `?${query}`}`;
}

type ServerMessage = ServerToPublisher | ServerToViewer;
/** What reaches a page's own handler: chat broadcasts and errors are dealt with here. */
export type NonChatMessage<In extends ServerMessage> = Exclude<In, ChatBroadcast | ErrorMessage>;

export interface StreamSocketOptions<In extends ServerMessage> {
  kind: SocketKind;
  parse: (text: string) => Result<In>;
  /** Every valid control message but chat broadcasts and errors (handled here); a hello after its chat merged. */
  message: (message: NonChatMessage<In>) => void;
  /** New chat lines, or what the chat box should say about a refused line (null: nothing). */
  chat: (patch: Partial<ChatView>) => void;
  /** The current socket closed (not one that was replaced or closed here). */
  close: (code: number) => void;
  open?: () => void;
  frame?: (data: ArrayBuffer) => void;
  /** Unit tests pass a fake socket and page address. */
  createSocket?: (url: string) => WebSocket;
  page?: Pick<Location, 'protocol' | 'host'>;
}

export class StreamSocket<In extends ServerMessage, Out extends ControlMessage> {
  private ws: WebSocket | null = null;
  private chat: ChatMessage[] = [];
  private readonly chatLimiter = new ChatLimiter(CHAT_RATE_MAX_MESSAGES, CHAT_RATE_WINDOW_MS);

  constructor(private readonly options: StreamSocketOptions<In>) {}

  get isOpen(): boolean {
    return this.ws?.readyState === OPEN;
  }

  /** The number of the last chat message shown (0 before any). */
  get lastChatSeq(): number {
    return this.chat.at(-1)?.seq ?? 0;
  }

  /** Bytes the socket holds unsent (0 without a socket). */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /**
   * Opens a socket to the stream; one still there from before is closed and never heard from again.
   * The URL names the protocol version this page speaks: a server speaking another closes with 4010.
   */
  connect(streamId: string, params: Record<string, string>): void {
    this.close(1000, 'reconnecting');
    const { createSocket = (url: string) => new WebSocket(url), page = location } = this.options;
    const query = { ...params, [PROTOCOL_QUERY_PARAM]: String(PROTOCOL_VERSION) };
    const ws = createSocket(streamSocketUrl(page, this.options.kind, streamId, query));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws === ws) this.options.open?.();
    };
    ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (this.ws !== ws) return;
      if (typeof event.data === 'string') this.receive(event.data);
      else this.options.frame?.(event.data);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.options.close(event.code);
    };
  }

  /** Closes the socket without telling `close` (the caller chose to). */
  close(code: number, reason: string): void {
    const ws = this.ws;
    this.ws = null;
    ws?.close(code, reason);
  }

  send(message: Out): void {
    if (this.isOpen) this.ws!.send(encodeControl(message));
  }

  sendFrame(bytes: Uint8Array<ArrayBuffer>): void {
    if (this.isOpen) this.ws!.send(bytes);
  }

  /** Sends a chat line; false when it cannot be sent now (the form keeps the text). */
  sendChat(text: string, name?: string): boolean {
    const line = chatLine(text, name);
    if (line === null || !this.isOpen) return false;
    // The server enforces the same limit; checking first keeps a refused line in the box.
    const taken = this.chatLimiter.tryTake(Date.now());
    if (!taken.ok) {
      this.options.chat({ chatError: rateLimitedText(taken.retryAfterMs) });
      return false;
    }
    this.ws!.send(encodeControl(line));
    this.options.chat({ chatError: null });
    return true;
  }

  private receive(text: string): void {
    const parsed = this.options.parse(text);
    if (!parsed.ok) return;
    const message = parsed.value;
    const patch = chatUpdate(this.chat, message);
    if (patch !== null) {
      if (patch.chat !== undefined) this.chat = patch.chat;
      this.options.chat(patch);
    }
    if (message.type !== 'chat' && message.type !== 'error') {
      this.options.message(message as NonChatMessage<In>);
    }
  }
}
