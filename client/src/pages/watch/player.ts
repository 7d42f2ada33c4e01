import { base64ToBytes, type DecoderConfig, type Frame } from '../../../../shared/protocol.ts';
import { KeyframeGate } from '../../lib/watch-logic.ts';

/** Decoder failures in a row, with no frame decoded in between, before we call the codec unsupported. */
export const MAX_DECODER_FAILURES = 3;

export type PlayerStatus = 'waiting-config' | 'waiting-keyframe' | 'playing' | 'unsupported';

export function webCodecsAvailable(): boolean {
  return typeof VideoDecoder === 'function' && typeof EncodedVideoChunk === 'function';
}

/**
 * WebCodecs playback onto a canvas. Every encoded frame after a keyframe goes to the decoder (never
 * dropped: a delta frame without its reference would corrupt the picture); when decoding outruns
 * painting, the newer decoded frame replaces the older one unpainted. After a decoder error it builds
 * a new decoder, waits for a keyframe and asks the server for one.
 * The canvas carries `data-decoded-frames` and `data-player-status` for tests.
 */
export class Player {
  private decoder: VideoDecoder | null = null;
  private config: VideoDecoderConfig | null = null;
  private readonly gate = new KeyframeGate();
  private pending: VideoFrame | null = null;
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

  push(frame: Frame): void {
    if (this.closed || this.decoder === null || this.status === 'unsupported') return;
    if (!this.gate.accept(frame.keyframe)) return;
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
    }
  }

  get skippedWaitingForKeyframe(): number {
    return this.gate.skipped;
  }

  get queueSize(): number {
    return this.decoder?.decodeQueueSize ?? 0;
  }

  close(): void {
    this.closed = true;
    cancelAnimationFrame(this.rafId);
    this.pending?.close();
    this.pending = null;
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
    if (this.status !== 'playing') this.setStatus('playing');
    if (this.pending !== null) {
      this.pending.close();
      this.dropped++;
    }
    this.pending = frame;
    if (this.rafId === 0) this.rafId = requestAnimationFrame(() => this.paint());
    this.mark();
    this.onDecoded(frame.timestamp);
  }

  private paint(): void {
    this.rafId = 0;
    const frame = this.pending;
    this.pending = null;
    if (frame === null) return;
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
