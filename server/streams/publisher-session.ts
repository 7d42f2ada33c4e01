import { ChatLimiter } from '../../shared/chat-limiter.ts';
import {
  type AudioConfig,
  CHAT_RATE_MAX_MESSAGES,
  CHAT_RATE_WINDOW_MS,
  type ChatSendMessage,
  type DecoderConfig,
  parsePublisherMessage,
} from '../../shared/protocol.ts';
import { type IntakeLimits, judgeFrame } from './frame-intake.ts';
import type { Log } from './log.ts';
import type { Peer } from './peer.ts';
import { RefusalBudget, type RefusalLimits, type Refusing } from './refusals.ts';

/** What a publisher session needs from its stream. */
export interface PublisherHost {
  readonly id: string;
  /** The backlog limit of viewers applies to the publisher's replies too. */
  readonly limits: RefusalLimits & IntakeLimits & { viewerMaxBacklogBytes: number };
  readonly log: Log;
  now(): number;
  setConfig(config: DecoderConfig): void;
  setAudioConfig(config: AudioConfig | null): void;
  relay(data: Uint8Array, keyframe: boolean, timestampUs: number, track: number): void;
  stop(): void;
  chat(from: Refusing & { limiter: ChatLimiter }, message: ChatSendMessage, role: 'viewer' | 'creator'): void;
  publisherClosed(session: PublisherSession): void;
}

/** One publish socket: validates what the creator's encoder sends and hands it to the stream. */
export class PublisherSession implements Refusing {
  /** The creator's own: one publish socket per stream, so it is per stream already. */
  readonly limiter = new ChatLimiter(CHAT_RATE_MAX_MESSAGES, CHAT_RATE_WINDOW_MS);
  readonly refusals: RefusalBudget;
  /** Frames of a track are refused until this connection has sent that track's decoder config. */
  private readonly configured = { video: false, audio: false };
  /** Kinds of refused frame already reported on this connection (see judgeFrame). */
  private readonly warned = new Set<string>();
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
        this.configured.video = true;
        this.host.setConfig(message.config);
        return;
      case 'audio-config':
        this.configured.audio = message.config !== null;
        this.host.setAudioConfig(message.config);
        return;
      case 'stop':
        this.host.stop();
        return;
      case 'chat':
        this.host.chat(this, message, 'creator');
        return;
    }
  }

  /**
   * `data` may be a view into ws's receive buffer: the stream copies it once. A refused frame is said
   * once per kind per connection (through the refusal budget), then dropped silently.
   */
  onBinary(data: Uint8Array): void {
    if (this.closed) return;
    const verdict = judgeFrame(data, this.configured, this.host.limits);
    switch (verdict.action) {
      case 'relay':
        this.host.relay(data, verdict.keyframe, verdict.timestampUs, verdict.track);
        return;
      case 'drop':
        if (this.warned.has(verdict.warn)) return;
        this.warned.add(verdict.warn);
        this.refusals.refuse(this, { type: 'error', code: verdict.code, message: verdict.message }, this.host.now());
        return;
      case 'close':
        this.close(verdict.code, verdict.reason);
        return;
    }
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
