import { type AudioConfig, sameAudioConfig } from '../../../../shared/audio-config.ts';
import { backoffDelayMs } from '../../../../shared/backoff.ts';
import {
  bytesToBase64,
  type ChatMessage,
  type DecoderConfig,
  FRAME_HEADER_BYTES,
  PROTOCOL_VERSION,
  type PublisherToServer,
  parseServerToPublisher,
  type ServerToPublisher,
  type StreamInfo,
  writeFrameHeader,
} from '../../../../shared/protocol.ts';
import { needsKeyframe, type PublishState, RateMeter, shouldSkipFrame } from '../../lib/publish-logic.ts';
import { RECONNECT_BACKOFF } from '../../lib/reconnect.ts';
import { publishDropAction, resumeRequest } from '../../lib/resume-logic.ts';
import { type NonChatMessage, StreamSocket } from '../../lib/stream-socket.ts';
import { AudioTrackEncoder } from './audio-encoder.ts';
import { CAPTURE_FPS, CAPTURE_HEIGHT_PX, CAPTURE_WIDTH_PX } from './capture.ts';
import type { CreatedStream } from './create-stream.ts';
import { resumeStream } from './resume-stream.ts';

/** VP8 by default: every Chromium build (Playwright's too) encodes and decodes it. */
export const ENCODER_CONFIG: VideoEncoderConfig = {
  codec: 'vp8',
  width: CAPTURE_WIDTH_PX,
  height: CAPTURE_HEIGHT_PX,
  bitrate: 1_000_000,
  framerate: CAPTURE_FPS,
  latencyMode: 'realtime',
};
/** What the page says when the server speaks another protocol version than this page. */
export function outdatedText(serverVersion: number | null): string {
  const server = serverVersion === null ? 'another version' : `version ${serverVersion}`;
  return `This page speaks protocol ${PROTOCOL_VERSION} and your stream's Machine speaks ${server}: reload the page to go live.`;
}

/** How long a dropped or moving publisher keeps trying with its token (the server's grace period is 15 s by default). */
export const PUBLISH_RECONNECT_WINDOW_MS = 15_000;

export interface PublishView {
  state: PublishState;
  message: string | null;
  /** The Machine the publish socket reached (from its hello). */
  socketMachine: string | null;
  socketRegion: string | null;
  /** The stream's home now: where "Go live" created it, or where it moved since. */
  home: string | null;
  homeRegion: string | null;
  /** Times the stream moved to another Machine. */
  moves: number;
  viewers: number;
  framesSent: number;
  /** Audio messages sent (AUDIO_PACKETS_PER_MESSAGE 60 ms packets each). */
  audioFramesSent: number;
  keyframes: number;
  skipped: number;
  fps: number;
  bitsPerSecond: number;
  startedAt: number | null;
  chat: ChatMessage[];
  chatError: string | null;
}

export async function encoderSupported(): Promise<boolean> {
  if (typeof VideoEncoder !== 'function' || typeof VideoFrame !== 'function') return false;
  try {
    return (await VideoEncoder.isConfigSupported(ENCODER_CONFIG)).supported === true;
  } catch {
    return false;
  }
}

function toDecoderConfig(meta: VideoDecoderConfig): DecoderConfig {
  const config: DecoderConfig = {
    codec: meta.codec,
    codedWidth: meta.codedWidth ?? CAPTURE_WIDTH_PX,
    codedHeight: meta.codedHeight ?? CAPTURE_HEIGHT_PX,
  };
  const d = meta.description;
  if (d !== undefined) {
    config.description = bytesToBase64(
      ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d),
    );
  }
  return config;
}

/**
 * Encodes canvas frames with WebCodecs and publishes them on `/ws/publish/<id>?instance=<home>&token=`:
 * the decoder config first, then frames, a keyframe at least every 2 s and whenever the server asks.
 * A dropped socket reconnects with the same token (the server holds the stream for a grace period)
 * and starts again with the config and a keyframe.
 */
export class Publisher {
  view: PublishView;
  private encoder: VideoEncoder | null = null;
  private readonly socket = new StreamSocket<ServerToPublisher, PublisherToServer>({
    kind: 'publish',
    parse: parseServerToPublisher,
    message: (message) => this.handle(message),
    chat: (patch) => this.update(patch),
    close: (code) => this.afterClose(code),
  });
  private decoderConfig: DecoderConfig | null = null;
  private configSent = false;
  private readonly audio = new AudioTrackEncoder(
    (config, frame) => this.outputAudio(config, frame),
    (message) => this.update({ message: `The sound encoder failed (${message}): the stream goes on without it.` }),
  );
  /** Whether the page feeds sound; without it, every connection says "no audio" once. */
  private audioOn = false;
  /** The audio config this connection last announced (undefined: none yet, null: "no audio"). */
  private audioConfigSent: AudioConfig | null | undefined;
  private keyframeRequested = true;
  private lastKeyframeMs: number | null = null;
  private readonly meter = new RateMeter(2000);
  private attempt = 0;
  private droppedSince: number | null = null;
  /** The stream as the last hello described it (what a resume request sends). */
  private stream: StreamInfo | null = null;
  /** The server sent `move`: the next close resumes the stream elsewhere. */
  private moveAsked = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    readonly created: CreatedStream,
    private readonly onChange: (view: PublishView) => void,
  ) {
    this.view = {
      state: 'connecting',
      message: null,
      socketMachine: null,
      socketRegion: null,
      home: created.machineId,
      homeRegion: created.region,
      moves: 0,
      viewers: 0,
      framesSent: 0,
      audioFramesSent: 0,
      keyframes: 0,
      skipped: 0,
      fps: 0,
      bitsPerSecond: 0,
      startedAt: null,
      chat: [],
      chatError: null,
    };
  }

  start(): void {
    this.encoder = new VideoEncoder({
      output: (chunk, meta) => this.output(chunk, meta),
      error: (err) => this.fail(`The video encoder failed: ${err.message}`),
    });
    this.encoder.configure(ENCODER_CONFIG);
    this.statsTimer = setInterval(() => {
      const { perSecond, bitsPerSecond } = this.meter.rates(performance.now());
      this.update({ fps: Math.round(perSecond), bitsPerSecond });
    }, 1000);
    this.connect();
  }

  /** Ends the stream for everyone (explicit stop: no grace period). */
  stop(): void {
    if (this.stopped) return;
    this.socket.send({ type: 'stop' });
    this.shutdown('ended', 'You ended the stream.');
  }

  /** Leaving the page: close quietly (the server's grace period ends the stream if we do not return). */
  dispose(): void {
    this.shutdown(this.view.state, this.view.message);
  }

  /** Chat as the creator (the server names the line after the stream's creator). */
  sendChat(text: string): boolean {
    return this.socket.sendChat(text);
  }

  /** The page has sound to send (a microphone or the test tone), or no longer has. */
  setAudio(on: boolean): void {
    this.audioOn = on;
    // A packet still gathering for its message belongs to sound that stopped: never sent late.
    if (!on) this.audio.close();
    if (!on && this.audioConfigSent !== null && this.socket.isOpen) this.announceAudio(null);
  }

  /** A chunk of the stream's sound, wall-clock stamped (the receiver owns it). */
  encodeAudio(data: AudioData): void {
    if (this.stopped || !this.audioOn || !this.socket.isOpen) data.close();
    else this.audio.encode(data);
  }

  /** Called by the capture loop for every drawn frame, with its wall-clock timestamp. */
  encodeFrom(canvas: HTMLCanvasElement, nowMs: number, timestampUs: number): void {
    const encoder = this.encoder;
    if (this.stopped || encoder === null || encoder.state !== 'configured') return;
    if (!this.socket.isOpen) {
      this.keyframeRequested = true;
      return;
    }
    if (shouldSkipFrame(encoder.encodeQueueSize, this.socket.bufferedAmount)) {
      this.update({ skipped: this.view.skipped + 1 });
      return;
    }
    const key = needsKeyframe({
      nowMs,
      lastKeyframeMs: this.lastKeyframeMs,
      frameIntervalMs: 1000 / CAPTURE_FPS,
      requested: this.keyframeRequested,
    });
    if (key) {
      this.keyframeRequested = false;
      this.lastKeyframeMs = nowMs;
    }
    const frame = new VideoFrame(canvas, { timestamp: timestampUs });
    try {
      encoder.encode(frame, { keyFrame: key });
    } finally {
      frame.close();
    }
  }

  private update(patch: Partial<PublishView>): void {
    this.view = { ...this.view, ...patch };
    this.onChange(this.view);
  }

  /** Publishes to the stream's home; the first frames on every new socket are the config and a keyframe. */
  private connect(): void {
    if (this.stopped) return;
    const { id, publishToken } = this.created;
    const { home } = this.view;
    this.configSent = false;
    this.audioConfigSent = undefined;
    this.keyframeRequested = true;
    this.moveAsked = false;
    this.socket.connect(id, home === null ? { token: publishToken } : { instance: home, token: publishToken });
  }

  private handle(message: NonChatMessage<ServerToPublisher>): void {
    switch (message.type) {
      case 'protocol-mismatch':
        this.shutdown('failed', outdatedText(message.serverVersion));
        return;
      case 'hello':
        if (!this.audioOn) this.announceAudio(null);
        this.attempt = 0;
        this.droppedSince = null;
        this.stream = message.stream;
        this.update({
          state: 'live',
          message: null,
          socketMachine: message.machineId,
          socketRegion: message.region,
          viewers: message.viewers,
          startedAt: message.stream.startedAt,
        });
        return;
      case 'keyframe-request':
        this.keyframeRequested = true;
        return;
      case 'viewers':
        this.update({ viewers: message.count });
        return;
      case 'move':
        this.moveAsked = true;
        this.update({ state: 'reconnecting', message: 'This Machine is going away: moving your stream...' });
        return;
    }
  }

  private output(chunk: EncodedVideoChunk, meta: EncodedVideoChunkMetadata | undefined): void {
    if (meta?.decoderConfig) {
      const next = toDecoderConfig(meta.decoderConfig);
      if (JSON.stringify(next) !== JSON.stringify(this.decoderConfig)) {
        this.decoderConfig = next;
        this.configSent = false;
      }
    }
    if (!this.socket.isOpen || this.decoderConfig === null) return;
    const key = chunk.type === 'key';
    if (!this.configSent) {
      // The protocol: config first, and the first frame after it is a keyframe.
      if (!key) {
        this.keyframeRequested = true;
        return;
      }
      this.socket.send({ type: 'config', config: this.decoderConfig });
      this.configSent = true;
    }
    const buf = new Uint8Array(FRAME_HEADER_BYTES + chunk.byteLength);
    chunk.copyTo(buf.subarray(FRAME_HEADER_BYTES));
    writeFrameHeader(buf, key, chunk.timestamp);
    this.socket.sendFrame(buf);
    this.meter.add(performance.now(), buf.byteLength);
    this.view.framesSent++;
    if (key) this.view.keyframes++;
  }

  private announceAudio(config: AudioConfig | null): void {
    this.socket.send({ type: 'audio-config', config });
    this.audioConfigSent = config;
  }

  private outputAudio(config: AudioConfig, frame: Uint8Array<ArrayBuffer>): void {
    if (!this.socket.isOpen || !this.audioOn) return;
    if (this.audioConfigSent === undefined || !sameAudioConfig(this.audioConfigSent, config))
      this.announceAudio(config);
    this.socket.sendFrame(frame);
    this.view.audioFramesSent++;
  }

  private afterClose(code: number): void {
    if (this.stopped) return;
    const canResume = this.view.home !== null && this.stream !== null;
    switch (publishDropAction(code, { moveAsked: this.moveAsked, canResume })) {
      case 'resume':
        this.droppedSince ??= Date.now();
        void this.resume();
        return;
      case 'ended':
        this.shutdown('ended', 'The stream has ended.');
        return;
      case 'replaced':
        this.shutdown('ended', 'This stream is now being published from another tab or device.');
        return;
      case 'outdated':
        this.shutdown('failed', outdatedText(null));
        return;
      case 'machine-gone':
        this.shutdown(
          'failed',
          'The Machine hosting your stream is shutting down, and the stream ended with it. Go live again to start a new one.',
        );
        return;
      case 'too-big':
      case 'reconnect': {
        const now = Date.now();
        this.droppedSince ??= now;
        if (now - this.droppedSince > PUBLISH_RECONNECT_WINDOW_MS) {
          this.shutdown('failed', "The connection to your stream's Machine was lost and did not come back in time.");
          return;
        }
        const delay = backoffDelayMs(this.attempt++, RECONNECT_BACKOFF, Math.random());
        this.update({ state: 'reconnecting', message: 'Connection lost: reconnecting...' });
        this.retryTimer = setTimeout(() => this.connect(), delay);
      }
    }
  }

  /**
   * Resumes the stream on whatever Machine answers: it takes the stream over (or names the Machine that
   * still has it), and this page publishes there. A draining Machine's 503 or a network error is tried
   * again with backoff, for PUBLISH_RECONNECT_WINDOW_MS from the drop.
   */
  private async resume(): Promise<void> {
    if (this.stopped || this.stream === null) return;
    if (Date.now() - (this.droppedSince ?? Date.now()) > PUBLISH_RECONNECT_WINDOW_MS) {
      this.shutdown('failed', 'The Machine hosting your stream went away and no other Machine took it over in time.');
      return;
    }
    this.update({ state: 'reconnecting', message: 'Moving your stream to another Machine...' });
    const { id, publishToken } = this.created;
    const outcome = await resumeStream(id, resumeRequest(publishToken, this.stream, this.socket.lastChatSeq));
    if (this.stopped) return;
    switch (outcome.kind) {
      case 'publish': {
        const moved = outcome.machineId !== this.view.home;
        this.update({
          home: outcome.machineId,
          homeRegion: outcome.region,
          moves: this.view.moves + (moved ? 1 : 0),
        });
        this.connect();
        return;
      }
      case 'retry':
        this.retryTimer = setTimeout(
          () => void this.resume(),
          backoffDelayMs(this.attempt++, RECONNECT_BACKOFF, Math.random()),
        );
        return;
      case 'fail':
        this.shutdown('failed', outcome.message);
    }
  }

  private fail(message: string): void {
    this.socket.send({ type: 'stop' });
    this.shutdown('failed', message);
  }

  private shutdown(state: PublishState, message: string | null): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.statsTimer);
    this.socket.close(1000, 'publisher stopped');
    if (this.encoder !== null && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
    this.audio.close();
    this.update({ state, message, fps: 0, bitsPerSecond: 0 });
  }
}
