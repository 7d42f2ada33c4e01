import { ChatLimiter } from '../../shared/chat-limiter.ts';
import {
  CHAT_RATE_MAX_MESSAGES,
  CHAT_RATE_WINDOW_MS,
  type ChatSendMessage,
  CloseCode,
  type ErrorMessage,
  parseViewerMessage,
} from '../../shared/protocol.ts';
import type { StoredFrame } from './gop-cache.ts';
import type { Log } from './log.ts';
import type { Peer } from './peer.ts';
import { RefusalBudget, type RefusalLimits, type Refusing } from './refusals.ts';
import type { RelayCounters } from './relay-counters.ts';
import {
  decideFrame,
  type FlowLimits,
  type FlowState,
  type FrameOffer,
  initialFlowState,
  lagMs,
} from './viewer-policy.ts';

/** Where a socket's chat messages are counted: its own limiter, or one shared by a client's sockets. */
export type ChatGate = Pick<ChatLimiter, 'tryTake'>;

/** What a viewer session needs from its stream. */
export interface ViewerHost {
  readonly id: string;
  readonly limits: FlowLimits & RefusalLimits;
  readonly counters: RelayCounters;
  readonly log: Log;
  now(): number;
  removeViewer(viewer: ViewerSession): void;
  requestKeyframe(): void;
  chat(from: Refusing & { limiter: ChatGate }, message: ChatSendMessage, role: 'viewer' | 'creator'): void;
}

/** Reused for every offer (the rule keeps no reference to it): one allocation less per viewer per frame. */
const scratch: FrameOffer = {
  keyframe: false,
  nowMs: 0,
  bufferedBytes: 0,
  lagMs: null,
  ackUs: null,
  relayLagMs: 0,
};

/** One watch socket: applies the slow-viewer policy to every frame offered to it. */
export class ViewerSession implements Refusing {
  readonly refusals: RefusalBudget;
  private flow: FlowState = initialFlowState(false);
  private lastSentUs: number | null = null;
  private lastAckUs: number | null = null;
  private closed = false;

  constructor(
    readonly peer: Peer,
    private readonly host: ViewerHost,
    readonly limiter: ChatGate = new ChatLimiter(CHAT_RATE_MAX_MESSAGES, CHAT_RATE_WINDOW_MS),
  ) {
    this.refusals = new RefusalBudget(host.limits, host.log, { stream: host.id, role: 'viewer' });
  }

  /** Sends the cached group of pictures on join (whole, without the policy: it is bounded by the GOP caps). */
  start(gop: readonly StoredFrame[]): void {
    for (const frame of gop) this.send(frame);
    // The lag clock starts at the live edge: decoding the burst is not falling behind.
    this.lastAckUs = this.lastSentUs;
    this.flow = initialFlowState(gop.length > 0);
  }

  /** The publisher restarted its encoder: wait for its first keyframe; old acks mean nothing now. */
  resetTimeline(): void {
    this.flow = initialFlowState(false);
    this.lastSentUs = null;
    this.lastAckUs = null;
  }

  /** Already behind (skipping for a limit, not merely waiting for a keyframe). */
  get behind(): boolean {
    return this.flow.behindSinceMs !== null;
  }

  /** Its ack lag now, ms (null before any frame): the stream takes the audience's to tell when the relay is late. */
  get lagMs(): number | null {
    return lagMs(this.lastSentUs, this.lastAckUs);
  }

  /** `crowd.relayLagMs()`: the lag the whole audience shares, the relay's own (asked at most once per frame). */
  offer(frame: StoredFrame, nowMs: number, crowd: { relayLagMs(): number }): void {
    if (this.closed) return;
    const lag = lagMs(this.lastSentUs, this.lastAckUs);
    scratch.keyframe = frame.keyframe;
    scratch.nowMs = nowMs;
    scratch.bufferedBytes = this.peer.bufferedAmount;
    scratch.lagMs = lag;
    scratch.ackUs = this.lastAckUs;
    // The audience's lag only matters for a viewer over the limit on its own and not held behind by lag
    // already, and asking costs a pass over the audience: so only then (the rule decides the same).
    const held = this.flow.lagHeldAtAckUs !== null && this.flow.lagHeldAtAckUs === this.lastAckUs;
    scratch.relayLagMs = lag !== null && lag > this.host.limits.viewerMaxLagMs && !held ? crowd.relayLagMs() : 0;
    const decision = decideFrame(this.flow, scratch, this.host.limits);
    const wasSkipping = this.flow.skipping;
    const wasBehind = this.flow.behindSinceMs !== null;
    this.flow = decision.state;
    switch (decision.action) {
      case 'send':
        if (wasSkipping) this.host.log.debug({ reason: decision.reason }, 'viewer resumed at a keyframe');
        this.send(frame);
        return;
      case 'skip':
        if (!wasBehind && decision.state.behindSinceMs !== null) {
          if (decision.reason === 'backlog') this.host.counters.viewersBehindBacklog++;
          else this.host.counters.viewersBehindLag++;
        }
        if (!wasSkipping)
          this.host.log.debug({ reason: decision.reason }, 'viewer behind: skipping to the next keyframe');
        this.host.counters.framesSkipped++;
        return;
      case 'close':
        this.host.counters.slowViewersClosed++;
        this.host.log.info(
          { reason: decision.reason, behindMs: nowMs - (decision.state.behindSinceMs ?? nowMs) },
          'closing a viewer that stayed behind',
        );
        this.close(CloseCode.tooSlow, 'viewer too slow');
        return;
    }
  }

  onText(text: unknown): void {
    if (this.closed) return;
    const parsed = parseViewerMessage(text);
    if (!parsed.ok) {
      const code = parsed.error.startsWith('chat.') ? 'chat-invalid' : 'bad-message';
      this.sendError({ type: 'error', code, message: parsed.error });
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'ack':
        // An ack beyond what was sent (an in-flight ack from before a publisher restart) means "caught up".
        this.lastAckUs = this.lastSentUs === null ? null : Math.min(message.timestampUs, this.lastSentUs);
        return;
      case 'keyframe-request':
        this.host.requestKeyframe();
        return;
      case 'chat':
        this.host.chat(this, message, 'viewer');
        return;
    }
  }

  onBinary(): void {
    if (this.closed) return;
    this.sendError({ type: 'error', code: 'bad-message', message: 'viewers send no binary messages' });
  }

  /** The socket closed (either side): leave the stream. */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.removeViewer(this);
  }

  close(code: number, reason: string): void {
    this.peer.close(code, reason);
    this.onClose();
  }

  private send(frame: StoredFrame): void {
    this.peer.sendBinary(frame.data, frame.wire);
    this.lastSentUs = frame.timestampUs;
    // Until its first ack, a viewer counts as having decoded the first frame it was sent, so one
    // that never acks (or stalls before it could) is still caught by the lag rule: kernel socket
    // buffers can swallow tens of megabytes before bufferedAmount moves.
    this.lastAckUs ??= frame.timestampUs;
    this.host.counters.framesSent++;
    this.host.counters.bytesSent += frame.data.byteLength;
  }

  private sendError(error: ErrorMessage): void {
    this.refusals.refuse(this, error, this.host.now());
  }
}
