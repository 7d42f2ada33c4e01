import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  CHAT_HISTORY_MESSAGES,
  type ChatMessage,
  type ChatSendMessage,
  CloseCode,
  decodeFrame,
  encodeControl,
  type StreamInfo,
} from '../../shared/protocol.ts';
import type { Clock } from '../streams/clock.ts';
import { FanOut } from '../streams/fan-out.ts';
import type { Log } from '../streams/log.ts';
import type { Peer } from '../streams/peer.ts';
import type { RelayCounters } from '../streams/relay-counters.ts';
import type { RelayLimits } from '../streams/relay-limits.ts';
import { ChatRates, type ChatSender, chatAllowed } from '../streams/stream-chat.ts';
import { viewerHello } from '../streams/stream-info.ts';
import { Deadline, RateGate, Throttle } from '../streams/throttle.ts';
import { type ChatGate, type ViewerHost, ViewerSession } from '../streams/viewer-session.ts';
import { ChatToHome } from './chat-to-home.ts';
import { publishQuietly } from './publish.ts';
import { RelayJoin } from './relay-join.ts';
import { type JoinHeader, parseTapControl, type StreamSubjects, streamSubjects } from './subjects.ts';

export interface RelayedStreamOptions {
  nc: NatsConnection;
  limits: RelayLimits;
  clock: Clock;
  counters: RelayCounters;
  log: Log;
  /** This Machine: its viewers' hellos name it. */
  self: { machineId: string; region: string };
  /** After the last viewer leaves, the subscription is kept this long (RELAY_LINGER_MS). */
  lingerMs: number;
  /** No join reply within this long: the viewers are sent back to ask again (the home may be gone). */
  joinTimeoutMs: number;
  /** The relay's viewer count is re-sent this often, so the home can forget relays that vanish. */
  heartbeatMs: number;
  /** Chat held while the way to the home is not proven (chat-to-home.ts); default RELAY_HELD_CHAT_MAX. */
  heldChatMax?: number;
  /** The stream left this Machine (linger over, ended, or the home gone). */
  onClosed(stream: RelayedStream): void;
  /** Its viewer count changed (already throttled). */
  onCount(): void;
}

type State = 'joining' | 'live' | 'closed';

const utf8 = new TextEncoder();
/** A relayed viewer whose chat could be neither sent nor held is told to retry after this long. */
const HELD_CHAT_RETRY_MS = 1000;

/**
 * A stream this Machine relays from its home over NATS: one subscription whatever the number of
 * viewers here, fed into the same fan-out a home uses. Chat and keyframe requests go to the home, which
 * numbers the chat and owns the total viewer count; the viewers here see what the home's own see.
 */
export class RelayedStream implements ViewerHost {
  readonly limits: RelayLimits;
  readonly counters: RelayCounters;
  readonly log: Log;
  private state: State = 'joining';
  private readonly subjects: StreamSubjects;
  private readonly fanOut: FanOut;
  /** Viewers that arrived before the join reply: admitted with it. */
  private pending: ViewerSession[] = [];
  private readonly subs: Subscription[] = [];
  private readonly join: RelayJoin;
  private info: StreamInfo | null = null;
  private chatHistory: ChatMessage[] = [];
  private totalViewers = 0;
  /** The viewer count last sent to the home. */
  private reported = 0;
  /** This relay's count inside `totalViewers`: none in a join header, the last one reported in a later total. */
  private counted = 0;
  private publisherConnected = false;
  private readonly keyframeGate: RateGate;
  private readonly countThrottle: Throttle;
  private readonly linger: Deadline;
  private readonly heartbeat: NodeJS.Timeout;
  /** Viewers' chat rate per client address, as on a home. */
  private readonly chatRates = new ChatRates();
  private readonly toHome: ChatToHome;

  constructor(
    readonly id: string,
    private readonly opts: RelayedStreamOptions,
  ) {
    this.limits = opts.limits;
    this.counters = opts.counters;
    this.log = opts.log;
    this.subjects = streamSubjects(id);
    this.toHome = new ChatToHome(
      (bytes) => publishQuietly(opts.nc, this.subjects.chat, bytes, opts.log),
      opts.heldChatMax,
    );
    this.fanOut = new FanOut(this);
    this.keyframeGate = new RateGate(opts.limits.keyframeRequestIntervalMs);
    this.countThrottle = new Throttle(opts.limits.viewerCountIntervalMs, () => this.sendCount(), opts.clock);
    this.linger = new Deadline(opts.clock, () => this.close(null, CloseCode.goingAway, 'relay stopped'));
    this.join = new RelayJoin({
      nc: opts.nc,
      clock: opts.clock,
      log: opts.log,
      streamId: id,
      subject: this.subjects.join,
      machineId: opts.self.machineId,
      timeoutMs: opts.joinTimeoutMs,
      onJoined: (reply) => this.joined(reply.header, reply.frames),
      onTimeout: () => {
        this.log.warn({ stream: id }, 'relay: no join reply from the home; viewers sent back to the directory');
        this.close(null, CloseCode.goingAway, 'stream home not reachable from this relay');
      },
    });
    this.heartbeat = setInterval(() => this.sendCount(), opts.heartbeatMs);
    this.heartbeat.unref();
    const { nc } = opts;
    const on = (subject: string, handle: (msg: Msg) => void) =>
      nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err === null) handle(msg);
        },
      });
    this.subs.push(
      on(this.subjects.frames, (msg) => this.frame(msg.data)),
      on(this.subjects.config, (msg) => this.control(msg.data)),
      on(this.subjects.events, (msg) => this.control(msg.data)),
    );
    this.sendJoin();
  }

  /** Viewers on this Machine (admitted or waiting for the join). */
  get localViewers(): number {
    return this.fanOut.size + this.pending.length;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get live(): boolean {
    return this.state === 'live';
  }

  now(): number {
    return this.opts.clock.now();
  }

  // -- from the home ---------------------------------------------------------------------------------

  /**
   * NATS is away: frames are being lost, so whatever arrives once it is back waits for the next keyframe
   * (a delta after the gap asks the home for one). The viewers keep their sockets.
   */
  suspend(): void {
    this.toHome.down();
    if (this.state === 'live') this.fanOut.resync();
  }

  /**
   * Asks the home for its state and GOP: the first join, or a rejoin once NATS is back (the chat history,
   * total and publisher state may have moved on; the viewers here resume at the next keyframe).
   */
  sendJoin(): void {
    if (this.state !== 'closed') this.join.start();
  }

  private joined(header: JoinHeader, frames: Uint8Array[]): void {
    if (this.state === 'closed') return;
    const first = this.state === 'joining';
    this.info = header.stream;
    this.chatHistory = header.chat;
    this.totalViewers = header.viewers;
    this.counted = 0;
    this.publisherConnected = header.publisherConnected;
    this.state = 'live';
    // The answer came over the same NATS path chat takes: what viewers sent meanwhile goes now.
    this.toHome.up();
    const config = header.config;
    if (config !== null && (first || JSON.stringify(config) !== JSON.stringify(this.fanOut.media.config))) {
      this.fanOut.setConfig(config);
    }
    this.fanOut.setAudioConfig(header.audioConfig);
    // On a rejoin the viewers here already had the GOP's older frames: they wait for the next keyframe.
    if (first) for (const data of frames) this.frame(data);
    const pending = this.pending;
    this.pending = [];
    for (const viewer of pending) this.admit(viewer);
    this.log.info({ stream: this.id, home: header.stream.machineId, gop: frames.length }, 'relay: joined');
  }

  private frame(data: Uint8Array): void {
    // Until the join reply, every frame is older than the GOP it brings.
    if (this.state !== 'live') return;
    const frame = decodeFrame(data);
    if (!frame.ok) return;
    this.fanOut.deliver(data, frame.value.keyframe, frame.value.timestampUs, frame.value.track);
  }

  private control(data: Uint8Array): void {
    const parsed = parseTapControl(data);
    if (!parsed.ok || this.state !== 'live') return;
    const message = parsed.value;
    switch (message.type) {
      case 'config':
        this.fanOut.setConfig(message.config);
        return;
      case 'audio-config':
        this.fanOut.setAudioConfig(message.config);
        return;
      case 'chat':
        this.chatHistory.push(message);
        if (this.chatHistory.length > CHAT_HISTORY_MESSAGES) this.chatHistory.shift();
        break;
      case 'viewers':
        this.totalViewers = message.count;
        this.counted = this.reported;
        break;
      case 'publisher':
        this.publisherConnected = message.connected;
        break;
      case 'ended':
        this.close(encodeControl(message), CloseCode.normal, 'stream ended');
        return;
      case 'moved':
        this.close(encodeControl(message), CloseCode.goingAway, 'stream moved');
        return;
      case 'gone':
        this.close(null, CloseCode.goingAway, 'stream home going away');
        return;
    }
    this.fanOut.sendText(utf8.encode(encodeControl(message)));
  }

  // -- viewers here ----------------------------------------------------------------------------------

  /** A client's sockets share one chat rate; without a key (in-process viewers) a socket has its own. */
  gateFor(clientKey: string | undefined): ChatGate | undefined {
    return this.chatRates.gateFor(clientKey);
  }

  addViewer(peer: Peer, gate?: ChatGate): ViewerSession {
    const viewer = new ViewerSession(peer, this, gate);
    this.linger.cancel();
    if (this.state === 'live') this.admit(viewer);
    else this.pending.push(viewer);
    this.countThrottle.trigger();
    return viewer;
  }

  private admit(viewer: ViewerSession): void {
    const started = this.fanOut.admit(viewer, () =>
      viewerHello(
        this.opts.self,
        {
          stream: this.info!,
          config: this.fanOut.media.config,
          audioConfig: this.fanOut.media.audioConfig,
          chat: this.chatHistory,
          viewers: this.viewersNow(),
          publisherConnected: this.publisherConnected,
        },
        true,
      ),
    );
    if (!started) this.requestKeyframe();
  }

  /** The home's total with this relay's newest count in it: a hello counts its own viewer, as on a home. */
  private viewersNow(): number {
    return Math.max(0, this.totalViewers - this.counted + this.localViewers);
  }

  removeViewer(viewer: ViewerSession): void {
    const wasPending = this.pending.indexOf(viewer);
    if (wasPending !== -1) this.pending.splice(wasPending, 1);
    else if (!this.fanOut.remove(viewer)) return;
    if (this.state === 'closed') return;
    this.countThrottle.trigger();
    if (this.localViewers === 0) this.linger.start(this.opts.lingerMs);
  }

  requestKeyframe(): void {
    if (this.state === 'closed' || !this.keyframeGate.tryTake(this.now())) return;
    this.counters.keyframeRequests++;
    publishQuietly(this.opts.nc, this.subjects.keyframe, '', this.log);
  }

  /** Rate-limited per client here; numbered by the home, which sends it back to every viewer. */
  chat(from: ChatSender, message: ChatSendMessage): void {
    const now = this.now();
    if (!chatAllowed(from, now) || this.toHome.offer(utf8.encode(encodeControl(message)))) return;
    from.refusals.refuse(
      from,
      {
        type: 'error',
        code: 'rate-limited',
        retryAfterMs: HELD_CHAT_RETRY_MS,
        message: "chat cannot reach the stream's home Machine right now; send it again in a moment",
      },
      now,
    );
  }

  // -- leaving ---------------------------------------------------------------------------------------

  /** Stops relaying: the viewers here get `notice` (if any) and a close; the home hears a count of 0. */
  close(notice: string | null, code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.linger.cancel();
    this.countThrottle.cancel();
    clearInterval(this.heartbeat);
    this.join.cancel();
    for (const sub of this.subs) sub.unsubscribe();
    const bytes = notice === null ? null : utf8.encode(notice);
    for (const viewer of this.pending.splice(0)) {
      if (bytes !== null) viewer.peer.sendText(bytes);
      viewer.close(code, reason);
    }
    this.fanOut.closeAll(bytes, code, reason);
    this.sendCount(0);
    this.opts.onClosed(this);
  }

  private sendCount(viewers = this.localViewers): void {
    const { machineId, region } = this.opts.self;
    this.reported = viewers;
    publishQuietly(this.opts.nc, this.subjects.counts, JSON.stringify({ machineId, region, viewers }), this.log);
    this.opts.onCount();
  }
}
