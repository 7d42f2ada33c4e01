import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ChatLimiter } from '../../shared/chat-limiter.ts';
import { isObject } from '../../shared/guards.ts';
import { isMachineId } from '../../shared/machine-id.ts';
import { encodeControl, parseViewerMessage } from '../../shared/protocol.ts';
import type { LiveStream } from '../streams/live-stream.ts';
import type { Log } from '../streams/log.ts';
import type { Peer } from '../streams/peer.ts';
import { RefusalBudget } from '../streams/refusals.ts';
import type { ChatSender } from '../streams/stream-chat.ts';
import type { StreamTap, TapControl } from '../streams/stream-tap.ts';
import { publishQuietly } from './publish.ts';
import { RelayTally } from './relay-tally.ts';
import { type JoinHeader, parseRelayCount, type StreamSubjects, streamSubjects } from './subjects.ts';

export interface HomeLinkOptions {
  nc: NatsConnection;
  log: Log;
  now: () => number;
  /** A relay not heard from for this long no longer counts (relays report every relayHeartbeatMs). */
  countTtlMs: number;
  maxViewersPerRelay: number;
  /** Chat from all of one relay's viewers: at most this many messages per window (each viewer is limited on its relay). */
  relayChatMaxMessages: number;
  relayChatWindowMs: number;
}

const silentPeer: Peer = { sendText() {}, sendBinary() {}, bufferedAmount: 0, close() {} };
const encoder = new TextEncoder();
const GONE = encoder.encode('{"type":"gone"}');

/** The Machine a join request names ('' when it names none). */
function joinerOf(msg: Msg): string {
  try {
    const body: unknown = JSON.parse(msg.string());
    return isObject(body) && isMachineId(body.machineId) ? body.machineId : '';
  } catch {
    return '';
  }
}

/**
 * A stream on its home, mirrored for relays: frames and viewer messages published once each on the
 * stream's subjects, and what relays send answered (joins, keyframe requests, chat, viewer counts).
 */
export class HomeLink implements StreamTap {
  private readonly subjects: StreamSubjects;
  private readonly subs: Subscription[];
  private readonly tally: RelayTally;
  private readonly timer: NodeJS.Timeout;
  private relayChat: ChatSender | null = null;

  constructor(
    private readonly stream: LiveStream,
    private readonly opts: HomeLinkOptions,
  ) {
    this.subjects = streamSubjects(stream.id);
    this.tally = new RelayTally(opts.countTtlMs);
    const { nc } = opts;
    const on = (subject: string, handle: (msg: Msg) => void) =>
      nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err === null) handle(msg);
        },
      });
    this.subs = [
      on(this.subjects.join, (msg) => this.join(msg)),
      on(this.subjects.keyframe, () => stream.requestKeyframe()),
      on(this.subjects.chat, (msg) => this.chat(msg)),
      on(this.subjects.counts, (msg) => this.count(msg)),
    ];
    // Relays that vanish without a last count stop counting once their reports are this old.
    this.timer = setInterval(() => stream.setRelayViewers(this.tally.total(opts.now())), opts.countTtlMs);
    this.timer.unref();
    stream.setTap(this);
  }

  get relays(): number {
    return this.tally.relays;
  }

  frame(data: Uint8Array): void {
    publishQuietly(this.opts.nc, this.subjects.frames, data, this.opts.log);
  }

  control(message: TapControl): void {
    const subject =
      message.type === 'config' || message.type === 'audio-config' ? this.subjects.config : this.subjects.events;
    const data = message.type === 'gone' ? GONE : encoder.encode(encodeControl(message));
    publishQuietly(this.opts.nc, subject, data, this.opts.log);
  }

  close(): void {
    clearInterval(this.timer);
    for (const sub of this.subs) sub.unsubscribe();
    this.stream.setTap(null);
  }

  /**
   * Answered at once, in this callback: every frame published before the header reached the relay before
   * it (one connection, one order), and every frame after it is newer than the GOP sent with it.
   */
  private join(msg: Msg): void {
    if (msg.reply === undefined || msg.reply === '' || this.stream.state === 'ended') return;
    const gop = this.stream.joinFrames();
    const state = this.stream.audienceState();
    // The total without the joining relay's own viewers: it adds the count it has now (see its hello).
    const viewers = Math.max(0, state.viewers - this.tally.countOf(joinerOf(msg)));
    const header: JoinHeader = { type: 'joined', ...state, viewers, frames: gop.length };
    const { nc, log } = this.opts;
    if (!publishQuietly(nc, msg.reply, JSON.stringify(header), log)) return;
    for (const frame of gop) publishQuietly(nc, msg.reply, frame.data, log);
  }

  private chat(msg: Msg): void {
    const parsed = parseViewerMessage(msg.string());
    if (!parsed.ok || parsed.value.type !== 'chat') return;
    this.stream.chat(this.relaySender(), parsed.value, 'viewer');
  }

  private count(msg: Msg): void {
    const parsed = parseRelayCount(msg.data, this.opts.maxViewersPerRelay);
    if (!parsed.ok) return;
    const now = this.opts.now();
    this.tally.set(parsed.value.machineId, parsed.value.viewers, now);
    this.stream.setRelayViewers(this.tally.total(now));
  }

  /** The relays' viewers share one generous budget here (each is limited on its relay); refusals go nowhere. */
  private relaySender(): ChatSender {
    this.relayChat ??= {
      peer: silentPeer,
      refusals: new RefusalBudget(this.stream.limits, this.opts.log, { stream: this.stream.id, role: 'relays' }),
      close() {},
      limiter: new ChatLimiter(this.opts.relayChatMaxMessages, this.opts.relayChatWindowMs),
    };
    return this.relayChat;
  }
}
