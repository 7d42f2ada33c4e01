import { wallClockUs } from '../../lib/publish-logic.ts';
import { BeatClock, FLASH_BOX, TONE_SAMPLE_RATE_HZ, ToneGenerator } from '../../lib/test-signal.ts';

/** Capture size and rate: small enough for a software VP8 encoder on a laptop core. */
export const CAPTURE_WIDTH_PX = 640;
export const CAPTURE_HEIGHT_PX = 360;
export const CAPTURE_FPS = 30;

export type SourceKind = 'camera' | 'pattern';

/** Why the camera is not used, in words for the page. */
export function cameraProblem(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'camera permission was denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no camera was found';
  if (name === 'NotReadableError') return 'the camera is in use by another program';
  return 'the camera could not be opened';
}

/**
 * Draws the chosen source (camera or a generated test pattern with a clock) onto the preview canvas
 * at a fixed rate; the encoder takes its frames from that canvas, so what you see is what is sent.
 * The pattern flashes once a second; with `tone` on, each flash has its beep, generated here in the
 * same tick so the beep starts at the very timestamp of the flash's first frame.
 */
export class Capture {
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticker: Worker | null = null;
  private video: HTMLVideoElement | null = null;
  private stream: MediaStream | null = null;
  private readonly ctx: CanvasRenderingContext2D;
  private frameNo = 0;
  source: SourceKind = 'pattern';
  /** Called after each drawn frame, with its wall-clock timestamp; the publisher encodes it while live. */
  onFrame: ((canvas: HTMLCanvasElement, nowMs: number, timestampUs: number) => void) | null = null;
  label = '';
  private readonly beats = new BeatClock();
  private tone: ToneGenerator | null = null;
  /** The test tone's audio, one chunk per tick, with its samples (for the level meter). */
  onTone: ((data: AudioData, samples: Float32Array) => void) | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {
    canvas.width = CAPTURE_WIDTH_PX;
    canvas.height = CAPTURE_HEIGHT_PX;
    this.ctx = canvas.getContext('2d', { alpha: false })!;
    const intervalMs = 1000 / CAPTURE_FPS;
    try {
      this.ticker = new Worker(new URL('./ticker.worker.ts', import.meta.url), { type: 'module' });
      this.ticker.onmessage = () => this.tick();
      this.ticker.postMessage({ intervalMs });
    } catch {
      // No workers: a page timer works too, only slower in a background tab.
      this.timer = setInterval(() => this.tick(), intervalMs);
    }
  }

  static cameraAvailable(): boolean {
    return typeof navigator.mediaDevices?.getUserMedia === 'function';
  }

  /** Opens the camera; throws (see cameraProblem) when it cannot, leaving the pattern on. */
  async useCamera(): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: {
        width: { ideal: CAPTURE_WIDTH_PX },
        height: { ideal: CAPTURE_HEIGHT_PX },
        frameRate: { ideal: CAPTURE_FPS },
      },
      audio: false,
    });
    this.releaseCamera();
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    this.stream = stream;
    this.video = video;
    this.source = 'camera';
  }

  /** Generates the test tone (from the next tick on) or stops it. */
  setTone(on: boolean): void {
    this.tone = on ? new ToneGenerator() : null;
  }

  usePattern(): void {
    this.releaseCamera();
    this.source = 'pattern';
  }

  stop(): void {
    clearInterval(this.timer);
    this.ticker?.terminate();
    this.ticker = null;
    this.releaseCamera();
  }

  private releaseCamera(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    if (this.video) this.video.srcObject = null;
    this.video = null;
  }

  private tick(): void {
    const now = performance.now();
    const timestampUs = wallClockUs(performance.timeOrigin, now);
    this.frameNo++;
    const beat = this.beats.frame(timestampUs);
    if (this.source === 'camera' && this.video !== null && this.video.readyState >= 2) this.drawCamera(this.video);
    else this.drawPattern(timestampUs / 1000, beat.flash);
    this.onFrame?.(this.canvas, now, timestampUs);
    const tone = this.tone;
    if (tone === null) return;
    if (beat.beepAtUs !== null) tone.beep(beat.beepAtUs);
    // Sound up to this frame's time: a beep starting at it goes out with the next tick's chunk.
    const chunk = tone.generate(timestampUs);
    if (chunk === null || this.onTone === null || typeof AudioData !== 'function') return;
    this.onTone(
      new AudioData({
        format: 'f32-planar',
        sampleRate: TONE_SAMPLE_RATE_HZ,
        numberOfChannels: 1,
        numberOfFrames: chunk.samples.length,
        timestamp: chunk.timestampUs,
        data: chunk.samples,
      }),
      chunk.samples,
    );
  }

  private drawCamera(video: HTMLVideoElement): void {
    const { width, height } = this.canvas;
    // Cover: fill the 16:9 frame, cropping what does not fit.
    const scale = Math.max(width / video.videoWidth, height / video.videoHeight);
    const w = video.videoWidth * scale;
    const h = video.videoHeight * scale;
    this.ctx.drawImage(video, (width - w) / 2, (height - h) / 2, w, h);
  }

  private drawPattern(nowMs: number, flash: boolean): void {
    const { ctx } = this;
    const { width, height } = this.canvas;
    const bars = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];
    const barW = width / bars.length;
    const barH = height * 0.62;
    bars.forEach((color, i) => {
      ctx.fillStyle = color;
      ctx.fillRect(Math.floor(i * barW), 0, Math.ceil(barW), barH);
    });
    ctx.fillStyle = '#101418';
    ctx.fillRect(0, barH, width, height - barH);
    // The sync flash: a white square in the band's lower-left corner, with the beep of the test tone.
    ctx.fillStyle = flash ? '#ffffff' : '#1d242c';
    ctx.fillRect(FLASH_BOX.x * width, FLASH_BOX.y * height, FLASH_BOX.width * width, FLASH_BOX.height * height);
    // A box sweeping across shows motion (and that frames keep coming) at a glance.
    const period = 4000;
    const x = ((nowMs % period) / period) * (width + 60) - 60;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(x, barH - 70, 60, 60);
    const time = new Date(nowMs);
    const clock = `${time.toLocaleTimeString([], { hour12: false })}.${String(time.getMilliseconds()).padStart(3, '0').slice(0, 1)}`;
    ctx.fillStyle = '#ffffff';
    ctx.font = 'bold 56px ui-monospace, monospace';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    ctx.fillText(clock, width / 2, barH + (height - barH) / 2 - 8);
    ctx.font = '16px system-ui, sans-serif';
    ctx.fillStyle = '#a3adba';
    ctx.fillText(`${this.label || 'replaycast test pattern'}  ·  frame ${this.frameNo}`, width / 2, height - 18);
  }
}
