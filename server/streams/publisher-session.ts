import { ChatLimiter } from '../../shared/chat-limiter.ts';
import {
  CHAT_RATE_MAX_MESSAGES,
  CHAT_RATE_WINDOW_MS,
  type ChatSendMessage,
  CloseCode,
  type DecoderConfig,
  decodeFrame,
  encodeControl,
  parsePublisherMessage,
} from '../../shared/protocol.ts';
import type { Log } from './log.ts';
import type { Peer } from './peer.ts';
import { RefusalBudget, type RefusalLimits, type Refusing } from './refusals.ts';

/** What a publisher session needs from its stream. */
export interface PublisherHost {
  readonly id: string;
  readonly maxFrameBytes: number;
  /** The backlog limit of viewers applies to the publisher's replies too. */
  readonly limits: RefusalLimits & { viewerMaxBacklogBytes: number };
  readonly log: Log;
  now(): number;
  setConfig(config: DecoderConfig): void;
  relay(data: Uint8Array, keyframe: boolean, timestampUs: number): void;
  stop(): void;
  chat(from: Refusing & { limiter: ChatLimiter }, message: ChatSendMessage, role: 'viewer' | 'creator'): void;
  publisherClosed(session: PublisherSession): void;
}

/** One publish socket: validates what the creator's encoder sends and hands it to the stream. */
export class PublisherSession implements Refusing {
  /** The creator's own: one publish socket per stream, so it is per stream already. */
  readonly limiter = new ChatLimiter(CHAT_RATE_MAX_MESSAGES, CHAT_RATE_WINDOW_MS);
  readonly refusals: RefusalBudget;
  /** Frames are refused until this connection has sent its decoder config. */
  private configured = false;
  private warnedNotConfigured = false;
  private closed = false;

  constructor(
    readonly peer: Peer,
    private readonly host: PublisherHost,
  ) {
    this.refusals = new RefusalBudget(host.limits, host.log, { stream: host.id, role: 'publisher' });
  }

  onText(text: unknown): void {
    if (this.closed) return;
    const parsed = parsePublisherMessage(text);
    if (!parsed.ok) {
      const code = parsed.error.startsWith('chat.') ? 'chat-invalid' : 'bad-message';
      this.refusals.refuse(this, { type: 'error', code, message: parsed.error }, this.host.now());
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'config':
        this.configured = true;
        this.host.setConfig(message.config);
        return;
      case 'stop':
        this.host.stop();
        return;
      case 'chat':
        this.host.chat(this, message, 'creator');
        return;
    }
  }

  /** `data` may be a view into ws's receive buffer: the stream copies it once. */
  onBinary(data: Uint8Array): void {
    if (this.closed) return;
    if (data.byteLength > this.host.maxFrameBytes) {
      this.close(CloseCode.tooBig, `frame over ${this.host.maxFrameBytes} bytes`);
      return;
    }
    const frame = decodeFrame(data);
    if (!frame.ok) {
      this.close(CloseCode.badMessage, frame.error.slice(0, 120));
      return;
    }
    if (!this.configured) {
      if (!this.warnedNotConfigured) {
        this.warnedNotConfigured = true;
        this.peer.sendText(
          encodeControl({
            type: 'error',
            code: 'not-configured',
            message: 'send a config message before frames; frames are dropped until then',
          }),
        );
      }
      return;
    }
    this.host.relay(data, frame.value.keyframe, frame.value.timestampUs);
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.publisherClosed(this);
  }

  close(code: number, reason: string): void {
    this.peer.close(code, reason);
    this.onClose();
  }
}
