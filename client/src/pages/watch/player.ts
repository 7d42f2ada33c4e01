import { base64ToBytes, type DecoderConfig, type Frame } from '../../../../shared/protocol.ts';
import { type ClockReading, type PictureState, pickFrame } from '../../lib/av-sync.ts';
import { KeyframeGate } from '../../lib/watch-logic.ts';

/** Decoder failures in a row, with no frame decoded in between, before we call the codec unsupported. */
export const MAX_DECODER_FAILURES = 3;
/**
 * Decoded pictures waiting for the audio clock, at most (2 s at 30 fps: the sound plays up to 1.5 s
 * behind arrival, its jitter buffer plus the delay it takes on for a slow picture track). Past it the
 * oldest is closed unpainted, so a sound far behind cannot hold the decoder's frames without bound.
 */
export const MAX_QUEUED_PICTURES = 60;

/** What the sound says at a performance time (see ClockReading): follow it, wait for it, or paint freely. */
export type MediaClock = (perfNowMs: number) => ClockReading;

export type PlayerStatus = 'waiting-config' | 'waiting-keyframe' | 'playing' | 'unsupported';

export function webCodecsAvailable(): boolean {
  return typeof VideoDecoder === 'function' && typeof EncodedVideoChunk === 'function';
}

/**
 * WebCodecs playback onto a canvas. Every encoded frame after a keyframe goes to the decoder (never
 * dropped: a delta frame without its reference would corrupt the picture). Decoded pictures wait for
 * the audio clock and are painted when it reaches their timestamp (lib/av-sync.ts pickFrame); without
 * one (no sound, or the browser holds it) each is painted as soon as it decodes, and when decoding
 * outruns painting the newer replaces the older unpainted. After a decoder error it builds a new
 * decoder, waits for a keyframe and asks the server for one.
 * The canvas carries `data-decoded-frames` and `data-player-status` for tests.
 */
export class Player {
  private decoder: VideoDecoder | null = null;
  private config: VideoDecoderConfig | null = null;
  private readonly gate = new KeyframeGate();
  private queue: VideoFrame[] = [];
  private rafId = 0;
  private failuresInRow = 0;
  private closed = false;
  private readonly ctx: CanvasRenderingContext2D | null;

  decoded = 0;
  painted = 0;
  /** Decoded frames replaced before they could be painted. */
  dropped = 0;
  decoderErrors = 0;
  lastDecodedTimestampUs: number | null = null;
  /** performance.now() of the last decoded picture. */
  private lastDecodedAtMs: number | null = null;
  /** The audio clock the pictures follow (set by the page once there is sound). */
  clock: MediaClock = () => null;
  /** Told every display frame which picture waits to be painted next (null: none): the sound's stall gate. */
  onWaiting: (nextPictureUs: number | null) => void = () => {};
  /** Told when a picture decodes after the sound reached it, by how much (µs). */
  onLate: (lateUs: number) => void = () => {};
  status: PlayerStatus = 'waiting-config';
  lastError: string | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Called after a decoder rebuild: the page sends a keyframe request. */
    private readonly onKeyframeNeeded: () => void,
    private readonly onStatus: (status: PlayerStatus) => void,
    /** Every decoded frame's timestamp: the page acks from here (timers are throttled in background tabs). */
    private readonly onDecoded: (timestampUs: number) => void,
  ) {
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.blank();
    this.mark();
  }

  /** (Re)configures for a new decoder config; the next frame it uses is a keyframe. */
  configure(config: DecoderConfig): void {
    if (this.closed) return;
    const next: VideoDecoderConfig = {
      codec: config.codec,
      codedWidth: config.codedWidth,
      codedHeight: config.codedHeight,
      optimizeForLatency: true,
    };
    if (config.description !== undefined) {
      const bytes = base64ToBytes(config.description);
      if (bytes.ok) next.description = bytes.value;
    }
    this.config = next;
    this.failuresInRow = 0;
    if (this.status === 'unsupported') this.setStatus('waiting-keyframe');
    this.build();
  }

  /** Hands a frame to the decoder; false when it was not taken (no working decoder, or waiting for a keyframe). */
  push(frame: Frame): boolean {
    if (this.closed || this.decoder === null || this.status === 'unsupported') return false;
    if (!this.gate.accept(frame.keyframe)) return false;
    try {
      this.decoder.decode(
        new EncodedVideoChunk({
          type: frame.keyframe ? 'key' : 'delta',
          timestamp: frame.timestampUs,
          data: frame.payload,
        }),
      );
    } catch (err) {
      this.fail(err);
      return false;
    }
    return true;
  }

  get skippedWaitingForKeyframe(): number {
    return this.gate.skipped;
  }

  get queueSize(): number {
    return this.decoder?.decodeQueueSize ?? 0;
  }

  /** What the sound needs to know to wait for a frozen picture (lib/av-sync.ts audioMayPlay). */
  get picture(): PictureState {
    return {
      playing: this.status === 'playing',
      newestUs: this.lastDecodedTimestampUs,
      newestAtMs: this.lastDecodedAtMs,
    };
  }

  close(): void {
    this.closed = true;
    cancelAnimationFrame(this.rafId);
    for (const frame of this.queue) frame.close();
    this.queue = [];
    this.closeDecoder();
  }

  private build(): void {
    this.closeDecoder();
    if (this.config === null) return;
    const decoder = new VideoDecoder({
      output: (frame) => this.output(frame),
      error: (err) => {
        if (this.decoder === decoder) this.fail(err);
      },
    });
    this.decoder = decoder;
    this.gate.reset();
    try {
      decoder.configure(this.config);
      if (this.status !== 'playing') this.setStatus('waiting-keyframe');
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.decoderErrors++;
    this.failuresInRow++;
    this.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.closeDecoder();
    if (this.failuresInRow >= MAX_DECODER_FAILURES) {
      // Configure or decode keeps failing before any frame comes out: this browser cannot play it.
      this.setStatus('unsupported');
      return;
    }
    this.setStatus('waiting-keyframe');
    // The error callback runs inside the decoder's own task: rebuild after it.
    queueMicrotask(() => {
      if (this.closed) return;
      this.build();
      this.onKeyframeNeeded();
    });
  }

  private closeDecoder(): void {
    const decoder = this.decoder;
    this.decoder = null;
    if (decoder !== null && decoder.state !== 'closed') {
      try {
        decoder.close();
      } catch {
        // already closed by an error
      }
    }
  }

  private output(frame: VideoFrame): void {
    if (this.closed) {
      frame.close();
      return;
    }
    this.decoded++;
    this.failuresInRow = 0;
    this.lastDecodedTimestampUs = frame.timestamp;
    this.lastDecodedAtMs = performance.now();
    const clock = this.clock(this.lastDecodedAtMs);
    if (typeof clock === 'number' && clock > frame.timestamp) this.onLate(clock - frame.timestamp);
    if (this.status !== 'playing') this.setStatus('playing');
    // A new timeline (the publisher restarted) starts below what is queued: the old pictures are stale.
    if (this.queue.length > 0 && frame.timestamp < this.queue.at(-1)!.timestamp) this.dropQueued(this.queue.length);
    this.queue.push(frame);
    if (this.queue.length > MAX_QUEUED_PICTURES) this.dropQueued(1);
    if (this.rafId === 0) this.rafId = requestAnimationFrame(() => this.tick());
    this.mark();
    this.onDecoded(frame.timestamp);
  }

  private dropQueued(count: number): void {
    for (const frame of this.queue.splice(0, count)) frame.close();
    this.dropped += count;
  }

  /** Once per display frame while pictures wait: paint the one that is due. */
  private tick(): void {
    this.rafId = 0;
    if (this.closed || this.queue.length === 0) return;
    const pick = pickFrame(
      this.queue.map((f) => f.timestamp),
      this.clock(performance.now()),
    );
    this.dropQueued(pick.drop);
    if (pick.paint !== -1) this.paint(this.queue.shift()!);
    this.onWaiting(this.queue[0]?.timestamp ?? null);
    if (this.queue.length > 0) this.rafId = requestAnimationFrame(() => this.tick());
  }

  private paint(frame: VideoFrame): void {
    if (this.canvas.width !== frame.displayWidth || this.canvas.height !== frame.displayHeight) {
      this.canvas.width = frame.displayWidth;
      this.canvas.height = frame.displayHeight;
    }
    this.ctx?.drawImage(frame, 0, 0, this.canvas.width, this.canvas.height);
    frame.close();
    this.painted++;
  }

  private blank(): void {
    if (this.ctx === null) return;
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  private setStatus(status: PlayerStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.mark();
    this.onStatus(status);
  }

  private mark(): void {
    this.canvas.dataset.decodedFrames = String(this.decoded);
    this.canvas.dataset.playerStatus = this.status;
  }
}
