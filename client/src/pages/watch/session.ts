import { isMachineId } from '../../../../shared/machine-id.ts';
import {
  type ChatMessage,
  type DecoderConfig,
  decodeFrame,
  PROTOCOL_VERSION,
  parseServerToViewer,
  type ServerToViewer,
  type StreamInfo,
  TRACK_AUDIO,
  TRACK_VIDEO,
  type ViewerToServer,
} from '../../../../shared/protocol.ts';
import { parseStream, watchUrl } from '../../lib/directory.ts';
import { DEFAULT_SOUND } from '../../lib/sound-prefs.ts';
import { type NonChatMessage, StreamSocket } from '../../lib/stream-socket.ts';
import {
  ackDue,
  classifyClose,
  followMoved,
  type Lookup,
  latencyMs,
  MAX_RECONNECT_ATTEMPTS,
  MOVED_NOTICE_MS,
  type MovedHint,
  nextStep,
  pendingRetryState,
  recheckHome,
  type WatchState,
} from '../../lib/watch-logic.ts';
import { AudioPlayer, type SoundView } from './audio-player.ts';
import { Player, type PlayerStatus, webCodecsAvailable } from './player.ts';

/** How often the figures under the video refresh. */
export const STATS_INTERVAL_MS = 1000;
/** A directory lookup that takes longer than this counts as unreachable. */
export const LOOKUP_TIMEOUT_MS = 3000;
/** While a retry's socket has not opened, the directory is asked again this often ... */
export const PENDING_LOOKUP_INTERVAL_MS = 300;
/** ... for at most this long (an auto started home answers within its replay timeout, 5 s). */
export const PENDING_LOOKUP_WINDOW_MS = 6000;

export type Playback = 'webcodecs' | 'no-webcodecs' | PlayerStatus;

export interface WatchView {
  state: WatchState;
  endedReason: string | null;
  stream: StreamInfo | null;
  /** The Machine and region that served the socket, from the hello. */
  socketMachine: string | null;
  socketRegion: string | null;
  /** The socket's Machine relays the stream from its home (the hello says so). */
  relayed: boolean;
  /** Where this page connects (null off Fly or before the directory answered). */
  home: string | null;
  viewers: number;
  publisherConnected: boolean;
  chat: ChatMessage[];
  chatError: string | null;
  retryInMs: number | null;
  playback: Playback;
  decoded: number;
  dropped: number;
  latencyMs: number | null;
  /** The stream moved to another Machine at least once and the page followed it. */
  followedMoves: number;
  /** Region of the Machine the stream just moved to (shown for MOVED_NOTICE_MS), else null. */
  movedTo: string | null;
  sound: SoundView;
}

const initialView = (home: string | null): WatchView => ({
  state: 'connecting',
  endedReason: null,
  stream: null,
  socketMachine: null,
  socketRegion: null,
  relayed: false,
  home,
  viewers: 0,
  publisherConnected: true,
  chat: [],
  chatError: null,
  retryInMs: null,
  playback: webCodecsAvailable() ? 'waiting-config' : 'no-webcodecs',
  decoded: 0,
  dropped: 0,
  latencyMs: null,
  followedMoves: 0,
  movedTo: null,
  sound: { state: 'none', ...DEFAULT_SOUND },
});

/** What the page says when the server speaks another protocol version than this page. */
export function outdatedText(serverVersion: number | null): string {
  return serverVersion === null
    ? "This page is out of date: the stream's Machine speaks a newer protocol. Reload the page to watch."
    : `This page speaks protocol ${PROTOCOL_VERSION} and the stream's Machine speaks ${serverVersion}: reload the page to watch.`;
}

async function lookupStream(streamId: string): Promise<Lookup> {
  try {
    const res = await fetch(`/api/streams/${encodeURIComponent(streamId)}`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
    });
    if (res.status === 404) return { kind: 'gone' };
    if (!res.ok) return { kind: 'unreachable' };
    const stream = parseStream(await res.json());
    return stream === null
      ? { kind: 'unreachable' }
      : { kind: 'found', machineId: stream.machineId, region: stream.region };
  } catch {
    return { kind: 'unreachable' };
  }
}

/**
 * One viewer's connection to a stream: the watch socket (to `?instance=<home>`: browsers cannot set
 * headers on a WebSocket), the player, acks, chat, and what to do when the socket closes (ask the
 * directory; follow a moved stream; back off; or show "ended").
 */
export class WatchSession {
  view: WatchView;
  private readonly socket = new StreamSocket<ServerToViewer, ViewerToServer>({
    kind: 'watch',
    parse: parseServerToViewer,
    message: (message) => this.handle(message),
    chat: (patch) => this.update(patch),
    close: (code) => void this.afterClose(code),
    open: () => {
      this.opened = true;
    },
    frame: (data) => this.onFrame(data),
  });
  private player: Player | null = null;
  private audio: AudioPlayer | null = null;
  private opened = false;
  /** Counts sockets opened and closes handled, so a pending lookup loop knows when it is over. */
  private generation = 0;
  private endedMessage = false;
  private everConnected = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Where a `moved` message said the stream went, until the socket closes. */
  private movedHint: MovedHint | null = null;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastAckedUs: number | null = null;
  private disposed = false;

  constructor(
    private readonly streamId: string,
    /** `?instance=` of the page URL: the home the link named. */
    readonly requestedHome: string | null,
    private readonly onChange: (view: WatchView) => void,
  ) {
    this.view = initialView(requestedHome);
  }

  start(canvas: HTMLCanvasElement | null): void {
    if (canvas !== null && webCodecsAvailable()) {
      const player = new Player(
        canvas,
        () => this.socket.send({ type: 'keyframe-request' }),
        (status) => {
          this.update({ playback: status });
          this.refreshStats();
        },
        (timestampUs) => {
          this.ack(timestampUs);
          this.audio?.pictureAdvanced();
        },
      );
      this.player = player;
      this.audio = new AudioPlayer(
        (sound) => this.update({ sound }),
        () => player.picture,
      );
      player.clock = (perfNowMs) => this.audio?.clockUs(perfNowMs) ?? null;
      player.onWaiting = (nextPictureUs) => this.audio?.pictureWaiting(nextPictureUs);
      player.onLate = (lateUs) => this.audio?.pictureLate(lateUs);
      this.update({ sound: this.audio.view });
    }
    this.statsTimer = setInterval(() => this.refreshStats(), STATS_INTERVAL_MS);
    window.addEventListener('online', this.onOnline);
    if (this.requestedHome !== null) {
      this.connect(this.requestedHome);
      return;
    }
    // A bare /watch/<id> link: ask the directory where the stream lives, then connect there.
    void lookupStream(this.streamId).then((lookup) => {
      if (this.disposed) return;
      if (lookup.kind === 'gone') this.update({ state: 'not-found' });
      else this.connect(lookup.kind === 'found' && isMachineId(lookup.machineId) ? lookup.machineId : null);
    });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.noticeTimer);
    clearInterval(this.statsTimer);
    window.removeEventListener('online', this.onOnline);
    this.socket.close(1000, 'page closed');
    this.player?.close();
    this.audio?.close();
  }

  /** The viewer's sound controls (unmute must run inside a click: browsers start sound only then). */
  unmute(): void {
    this.audio?.unmute();
  }

  mute(): void {
    this.audio?.mute();
  }

  setVolume(volume: number): void {
    this.audio?.setVolume(volume);
  }

  /** Sends a chat line; false when it cannot be sent now (the form keeps the text). */
  sendChat(text: string, name: string): boolean {
    return this.socket.sendChat(text, name);
  }

  /** Manual retry from the offline/ended screen. */
  retryNow(): void {
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect(this.view.home);
  }

  private readonly onOnline = () => {
    if (this.view.state === 'offline' || this.view.state === 'reconnecting') this.retryNow();
  };

  private update(patch: Partial<WatchView>): void {
    if (this.disposed) return;
    this.view = { ...this.view, ...patch };
    this.onChange(this.view);
  }

  private connect(home: string | null): void {
    if (this.disposed) return;
    this.generation++;
    this.opened = false;
    this.endedMessage = false;
    this.movedHint = null;
    this.lastAckedUs = null;
    this.update({ home, retryInMs: null });
    this.socket.connect(this.streamId, home === null ? {} : { instance: home });
  }

  private handle(message: NonChatMessage<ServerToViewer>): void {
    switch (message.type) {
      case 'protocol-mismatch':
        this.outdated(message.serverVersion);
        return;
      case 'hello': {
        this.everConnected = true;
        this.attempt = 0;
        const home = message.stream.machineId;
        if (
          home !== null &&
          home !== this.requestedHome &&
          new URLSearchParams(location.search).get('instance') !== home
        ) {
          // Keep the address bar a link that routes straight to where the stream is now.
          history.replaceState(null, '', watchUrl({ id: this.streamId, machineId: home }));
        }
        this.update({
          state: 'live',
          endedReason: null,
          stream: message.stream,
          socketMachine: message.machineId,
          socketRegion: message.region,
          relayed: message.relayed === true,
          home: home ?? this.view.home,
          viewers: message.viewers,
          publisherConnected: message.publisherConnected,
        });
        if (message.config !== null) this.configure(message.config);
        this.audio?.configure(message.audioConfig);
        return;
      }
      case 'config':
        this.configure(message.config);
        return;
      case 'audio-config':
        this.audio?.configure(message.config);
        return;
      case 'viewers':
        this.update({ viewers: message.count });
        return;
      case 'publisher':
        this.update({ publisherConnected: message.connected });
        return;
      case 'moved':
        this.movedHint = { machineId: message.machineId, region: message.region };
        return;
      case 'ended':
        this.endedMessage = true;
        this.update({
          state: 'ended',
          endedReason:
            message.reason === 'stopped'
              ? 'The creator ended the stream.'
              : 'The creator lost their connection and did not come back.',
        });
        return;
    }
  }

  private configure(config: DecoderConfig): void {
    this.player?.configure(config);
  }

  /** This page cannot talk to that server: stop, and say to reload (retrying would only repeat it). */
  private outdated(serverVersion: number | null): void {
    clearTimeout(this.retryTimer);
    this.socket.close(1000, 'protocol version mismatch');
    this.player?.close();
    this.audio?.close();
    this.update({ state: 'outdated', endedReason: outdatedText(serverVersion) });
  }

  private onFrame(data: ArrayBuffer): void {
    const frame = decodeFrame(data);
    if (!frame.ok) return;
    const { track } = frame.value;
    if (track === TRACK_AUDIO) {
      this.audio?.push(frame.value);
      if (this.player === null || this.player.status === 'unsupported') this.ack(frame.value.timestampUs);
      return;
    }
    // A track this page does not know (from a newer publisher) is skipped.
    if (track !== TRACK_VIDEO) return;
    // A frame the player did not take (no working decoder, or one waiting for a keyframe after an
    // error) is as far as this viewer gets with it: acked, so the relay does not take a viewer that
    // waits for a keyframe for a slow one and hold that keyframe back from it.
    if (this.player?.push(frame.value) !== true) this.ack(frame.value.timestampUs);
  }

  /** Acks from the decode path, every ACK_INTERVAL_US of media time. */
  private ack(timestampUs: number): void {
    if (!ackDue(this.lastAckedUs, timestampUs)) return;
    this.lastAckedUs = timestampUs;
    this.socket.send({ type: 'ack', timestampUs });
  }

  private refreshStats(): void {
    const p = this.player;
    if (p === null) return;
    const latency = p.lastDecodedTimestampUs === null ? null : latencyMs(p.lastDecodedTimestampUs, Date.now());
    if (p.decoded !== this.view.decoded || latency !== this.view.latencyMs) {
      this.update({ decoded: p.decoded, dropped: p.dropped, latencyMs: latency });
    }
  }

  private async afterClose(code: number): Promise<void> {
    if (this.disposed) return;
    this.generation++;
    const close = { code, endedMessage: this.endedMessage };
    const verdict = classifyClose(close);
    if (verdict === 'outdated') {
      this.outdated(null);
      return;
    }
    if (verdict === 'ended') {
      this.update({ state: 'ended', endedReason: this.view.endedReason ?? 'The stream has ended.' });
      return;
    }
    const step =
      followMoved(this.movedHint, close, this.view.home) ??
      nextStep(await lookupStream(this.streamId), {
        home: this.view.home,
        attempt: this.attempt,
        everConnected: this.everConnected,
        lastOpened: this.opened,
        maxAttempts: MAX_RECONNECT_ATTEMPTS,
      });
    if (this.disposed) return;
    if (step.action === 'ended') {
      this.update({ state: step.state, endedReason: step.state === 'ended' ? 'The stream has ended.' : null });
      return;
    }
    this.attempt++;
    if (step.moved) this.followed(step.home, step.region);
    this.update({ state: step.state, retryInMs: step.delayMs });
    this.retryTimer = setTimeout(
      () => void (step.moved ? this.connect(step.home) : this.retry(step.home)),
      step.delayMs,
    );
  }

  /**
   * A retry to the same home. While its socket has not opened (a crashed home may be auto started, which
   * takes seconds, only to answer 404), the directory is asked again every PENDING_LOOKUP_INTERVAL_MS: a
   * creator whose home crashed resumes the stream elsewhere within a second or so, and the page follows
   * it there at once (recheckHome). Past UNREACHABLE_AFTER_MS the page says offline meanwhile.
   */
  private retry(home: string | null): void {
    this.connect(home);
    const generation = this.generation;
    // Over once this socket opened or closed, or the page moved on.
    const over = () => this.opened || this.disposed || this.generation !== generation;
    const started = Date.now();
    const ask = async (): Promise<void> => {
      if (over() || Date.now() - started > PENDING_LOOKUP_WINDOW_MS) return;
      const next = recheckHome(await lookupStream(this.streamId), home);
      if (over()) return;
      const shown = pendingRetryState(this.view.state, Date.now() - started);
      if (shown !== this.view.state) this.update({ state: shown });
      if (next.movedTo !== undefined) {
        this.followed(next.home, next.movedTo);
        this.update({ state: 'connecting' });
        this.connect(next.home);
        return;
      }
      setTimeout(() => void ask(), PENDING_LOOKUP_INTERVAL_MS);
    };
    setTimeout(() => void ask(), PENDING_LOOKUP_INTERVAL_MS);
  }

  /** The stream moved: the address bar follows, and the page says where it went for a while. */
  private followed(home: string | null, region: string | undefined): void {
    history.replaceState(null, '', watchUrl({ id: this.streamId, machineId: home ?? '' }));
    this.update({ followedMoves: this.view.followedMoves + 1, movedTo: region ?? null });
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => this.update({ movedTo: null }), MOVED_NOTICE_MS);
  }
}
