import {
  type AudioConfig,
  type ChatSendMessage,
  CloseCode,
  type DecoderConfig,
  type EndReason,
  encodeControl,
  type ServerToViewer,
  type StreamInfo,
  TRACK_VIDEO,
} from '../../shared/protocol.ts';
import { FanOut } from './fan-out.ts';
import type { StoredFrame } from './gop-cache.ts';
import type { Log } from './log.ts';
import type { Peer } from './peer.ts';
import { type PublisherHost, PublisherSession } from './publisher-session.ts';
import type { RelayCounters } from './relay-counters.ts';
import type { RelayLimits } from './relay-limits.ts';
import type { StreamSummary } from './source.ts';
import { type ChatRole, type ChatSender, StreamChat } from './stream-chat.ts';
import { type AudienceState, describeStream, publisherHello, summarizeStream, viewerHello } from './stream-info.ts';
import { StreamOutbox } from './stream-outbox.ts';
import type { StreamTap } from './stream-tap.ts';
import type { NewHome, StreamDeps, StreamMeta, StreamState } from './stream-types.ts';
import { Deadline, RateGate } from './throttle.ts';
import { ViewerCount } from './viewer-count.ts';
import { type ViewerHost, ViewerSession } from './viewer-session.ts';

/** One live stream on its home Machine: its publisher, viewers, GOP cache and chat. */
export class LiveStream implements PublisherHost, ViewerHost {
  state: StreamState = 'waiting';
  startedAt: number;
  readonly limits: RelayLimits;
  readonly counters: RelayCounters;
  readonly log: Log;
  private readonly fanOut: FanOut;
  private readonly outbox: StreamOutbox;
  private publisher: PublisherSession | null = null;
  /** The publisher can resume on another Machine (a browser socket; the demo publisher cannot). */
  private publisherMovable = false;
  private readonly chatRoom: StreamChat;
  /** Ends a stream nobody publishes to: before its first publisher, and after one drops. */
  private readonly endDeadline: Deadline;
  private readonly keyframeGate: RateGate;
  private readonly viewerCount: ViewerCount;

  constructor(
    readonly meta: StreamMeta,
    private readonly deps: StreamDeps,
  ) {
    this.limits = deps.limits;
    this.counters = deps.counters;
    this.log = deps.log;
    this.startedAt = meta.startedAt ?? meta.createdAt;
    this.fanOut = new FanOut(this);
    this.outbox = new StreamOutbox(this.fanOut, () => this.publisher?.peer ?? null);
    this.chatRoom = new StreamChat(meta.creator, meta.chatSeq);
    this.keyframeGate = new RateGate(deps.limits.keyframeRequestIntervalMs);
    this.viewerCount = new ViewerCount(
      () => this.fanOut.size,
      deps.limits.viewerCountIntervalMs,
      deps.clock,
      (count) => {
        this.outbox.toAll({ type: 'viewers', count });
        if (this.listed) this.deps.onEvent(this, 'viewers');
      },
    );
    this.endDeadline = new Deadline(deps.clock, () => this.end('publisher-lost'));
    // A created stream nobody publishes to must not linger.
    this.endDeadline.start(deps.limits.publishStartTimeoutMs);
  }

  get id(): string {
    return this.meta.id;
  }

  get maxFrameBytes(): number {
    return this.limits.maxFrameBytes;
  }

  /** Viewers on this Machine. */
  get viewerTotal(): number {
    return this.fanOut.size;
  }

  /** Viewers everywhere: here and on the Machines relaying it. */
  get totalViewers(): number {
    return this.viewerCount.total;
  }

  /** The relays' viewers changed (summed over every relay). */
  setRelayViewers(count: number): void {
    if (this.state !== 'ended') this.viewerCount.setRelayed(count);
  }

  /** Mirrors what this stream's viewers get (frames, configs, events) to `tap`; null stops it. */
  setTap(tap: StreamTap | null): void {
    this.outbox.setTap(tap);
  }

  /** What a newcomer here (its hello) or a relay (with the cached GOP: its join) starts from. */
  audienceState(): AudienceState {
    return {
      stream: this.info(),
      config: this.media.config,
      audioConfig: this.media.audioConfig,
      chat: this.chatRoom.history,
      viewers: this.totalViewers,
      publisherConnected: this.publisher !== null,
    };
  }

  /** The cached GOP a relay joins with. */
  joinFrames(): readonly StoredFrame[] {
    return this.media.joinFrames();
  }

  private get media() {
    return this.fanOut.media;
  }

  get publisherConnected(): boolean {
    return this.publisher !== null;
  }

  get listed(): boolean {
    return this.state === 'live' || this.state === 'grace' || this.state === 'moving';
  }

  /** Bytes queued in user space for this stream's viewers (shared frames are counted per viewer). */
  backlogBytes(): number {
    return this.fanOut.viewers.backlogBytes();
  }

  /** Bytes held by the GOP cache (for stats and tests). */
  get gopBytes(): number {
    return this.media.gopBytes;
  }

  now(): number {
    return this.deps.clock.now();
  }

  info(): StreamInfo {
    return describeStream(this.meta, this.startedAt, this.deps);
  }

  summary(): StreamSummary {
    return summarizeStream(this.meta, this.startedAt, this.totalViewers, this.fanOut.size);
  }

  // -- publisher side ---------------------------------------------------------------------------

  /**
   * A publisher socket authenticated for this stream; a previous one is closed (4009). `movable`: it can
   * resume the stream on another Machine when this one goes away.
   */
  connectPublisher(peer: Peer, movable = false): PublisherSession {
    const previous = this.publisher;
    const wasListed = this.listed;
    const wasDisconnected = this.state === 'grace';
    this.publisher = null;
    previous?.close(CloseCode.replaced, 'replaced by a newer publisher connection');
    this.endDeadline.cancel();
    const session = new PublisherSession(peer, this);
    this.publisher = session;
    this.publisherMovable = movable;
    if (!wasListed && this.meta.startedAt === undefined) this.startedAt = this.now();
    this.state = 'live';
    this.media.restart();
    peer.sendText(publisherHello(this.deps, this.audienceState(), this.limits));
    if (wasDisconnected) this.outbox.toViewers({ type: 'publisher', connected: true });
    if (!wasListed) this.deps.onEvent(this, 'listed');
    this.log.info({ stream: this.id, reconnect: wasDisconnected || previous !== null }, 'publisher connected');
    return session;
  }

  publisherClosed(session: PublisherSession): void {
    if (this.publisher !== session || this.state === 'ended') return;
    this.publisher = null;
    this.state = 'grace';
    this.media.forget();
    this.outbox.toViewers({ type: 'publisher', connected: false });
    this.endDeadline.start(this.limits.publishGraceMs);
    this.log.info(
      { stream: this.id, graceMs: this.limits.publishGraceMs },
      'publisher dropped; waiting for it to reconnect',
    );
  }

  setConfig(config: DecoderConfig): void {
    this.fanOut.setConfig(config);
    this.outbox.toRelays({ type: 'config', config });
  }

  /** A new audio config (or none): viewers are told; cached audio of the old one is of no use to a late joiner. */
  setAudioConfig(config: AudioConfig | null): void {
    if (this.fanOut.setAudioConfig(config)) this.outbox.toRelays({ type: 'audio-config', config });
  }

  relay(data: Uint8Array, keyframe: boolean, timestampUs: number, track: number = TRACK_VIDEO): void {
    if (this.state !== 'live') return;
    const frame = this.fanOut.deliver(data, keyframe, timestampUs, track);
    if (frame !== null) this.outbox.frame(frame.data);
  }

  stop(): void {
    this.end('stopped');
  }

  requestKeyframe(): void {
    if (this.publisher === null || !this.keyframeGate.tryTake(this.now())) return;
    this.counters.keyframeRequests++;
    this.publisher.peer.sendText(encodeControl({ type: 'keyframe-request' }));
  }

  // -- viewer side ------------------------------------------------------------------------------

  /**
   * hello, then the cached GOP (starting at its keyframe), then live frames through offer(). A viewer
   * with a `clientKey` shares its chat rate with the client's other sockets; without one (in-process
   * viewers) it has its own.
   */
  addViewer(peer: Peer, clientKey?: string): ViewerSession {
    const viewer = new ViewerSession(peer, this, this.chatRoom.gateFor(clientKey));
    const started = this.fanOut.admit(viewer, () => viewerHello(this.deps, this.audienceState()));
    if (!started) this.requestKeyframe();
    this.viewerCount.changed();
    return viewer;
  }

  removeViewer(viewer: ViewerSession): void {
    if (this.fanOut.remove(viewer) && this.state !== 'ended') this.viewerCount.changed();
  }

  // -- chat ---------------------------------------------------------------------------------------

  chat(from: ChatSender, message: ChatSendMessage, role: ChatRole): void {
    const chat = this.chatRoom.admit(from, message, role, this.now());
    if (chat === null) return;
    this.counters.chatMessages++;
    this.outbox.toAll({ type: 'chat', ...chat });
  }

  // -- ending and moving --------------------------------------------------------------------------

  /** Viewers get `ended` and a normal close; the publisher a normal close. */
  end(reason: EndReason): void {
    if (this.state === 'ended') return;
    this.closeAll({ type: 'ended', reason }, CloseCode.normal, CloseCode.normal, 'stream ended');
    this.log.info({ stream: this.id, reason }, 'stream ended');
    this.deps.onEvent(this, 'ended');
  }

  /**
   * This Machine is going away and the stream can live on: its publisher is told to resume elsewhere
   * (`move`, then 1001) and the stream stays listed, its viewers connected, until `handOver` names the
   * new home. False when it cannot move (no publisher that can resume): then shut it down.
   */
  moveAway(): boolean {
    if (!this.publisherMovable || (this.state !== 'live' && this.state !== 'grace')) return false;
    this.state = 'moving';
    this.endDeadline.cancel();
    // Numbered here, chat could collide with the first messages of the new home.
    this.chatRoom.pause();
    const publisher = this.publisher;
    this.publisher = null;
    publisher?.peer.sendText(encodeControl({ type: 'move' }));
    publisher?.close(CloseCode.goingAway, 'Machine going away: resume the stream elsewhere');
    this.outbox.toViewers({ type: 'publisher', connected: false });
    this.log.info({ stream: this.id }, 'publisher asked to move the stream');
    return true;
  }

  /**
   * Another Machine holds a newer claim on this stream (it moved there): viewers are told where and
   * closed with 1001 to follow it, a publisher still here was replaced (4009), and the stream leaves.
   */
  handOver(home: NewHome): void {
    if (this.state === 'ended') return;
    this.closeAll({ type: 'moved', ...home }, CloseCode.goingAway, CloseCode.replaced, 'stream moved');
    this.log.info({ stream: this.id, to: home.machineId, region: home.region }, 'stream moved; viewers sent there');
    this.deps.onEvent(this, 'ended');
  }

  /** This Machine is going away: everyone gets 1001 and should ask the directory. */
  shutdown(): void {
    if (this.state === 'ended') return;
    this.closeAll(null, CloseCode.goingAway, CloseCode.goingAway, 'server shutting down');
  }

  /** Ends it here: viewers get `notice` (if any) and a close, the publisher a close. */
  private closeAll(notice: ServerToViewer | null, viewerCode: number, publisherCode: number, reason: string): void {
    this.state = 'ended';
    this.endDeadline.cancel();
    this.viewerCount.cancel();
    this.outbox.closeViewers(notice, viewerCode, reason);
    const publisher = this.publisher;
    this.publisher = null;
    publisher?.close(publisherCode, reason);
  }
}
