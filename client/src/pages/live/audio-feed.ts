import { type AudioChoice, initialAudio, meterPercent, rmsLevel } from '../../lib/audio-input.ts';
import type { Capture, SourceKind } from './capture.ts';
import { Microphone, micCaptureAvailable, micProblem } from './microphone.ts';

/** Where the sound goes while live (the Publisher). */
export interface AudioSink {
  setAudio(on: boolean): void;
  encodeAudio(data: AudioData): void;
}

export interface AudioFeedView {
  /** null until the first choice settled (the microphone is being asked for). */
  choice: AudioChoice | null;
  /** Why there is no microphone, or what is used instead; null when all is well. */
  note: string | null;
  /** The creator's microphone mute (the stream keeps its sound track, silent). */
  muted: boolean;
}

/**
 * The go-live page's sound: a microphone, the test tone (made by the capture loop, in step with the
 * pattern's flash) or nothing; its level for the meter; and, while live, the publisher it feeds.
 * With no microphone (or no permission) it falls back to the tone with the test pattern, and to no
 * sound with the camera, and says so.
 */
export class AudioFeed {
  view: AudioFeedView = { choice: null, note: null, muted: false };
  private mic: Microphone | null = null;
  private sink: AudioSink | null = null;
  private peak = 0;
  /** The choice was made for the creator (no microphone): it follows the picture source. */
  private automatic = false;
  /** Why there is no microphone, for the note when an automatic choice changes. */
  private reason = '';
  private disposed = false;

  constructor(
    private readonly capture: Capture,
    private readonly onChange: (view: AudioFeedView) => void,
  ) {}

  /** Starts with the default microphone, or the fallback when there is none. */
  async start(video: SourceKind): Promise<void> {
    if (micCaptureAvailable()) await this.choose({ kind: 'mic', deviceId: '' }, video);
    else this.fallBack('this browser cannot capture the microphone for a stream', video);
  }

  async choose(choice: AudioChoice, video: SourceKind): Promise<void> {
    this.release();
    this.automatic = false;
    if (choice.kind === 'mic') {
      try {
        const mic = await Microphone.open(choice.deviceId === '' ? undefined : choice.deviceId);
        if (this.disposed) {
          mic.stop();
          return;
        }
        mic.muted = this.view.muted;
        mic.onData = (data, samples) => this.deliver(data, samples);
        this.mic = mic;
        this.set({ choice: { kind: 'mic', deviceId: mic.deviceId }, note: null });
      } catch (err) {
        this.fallBack(micProblem(err), video);
        return;
      }
    } else if (choice.kind === 'tone') {
      this.capture.onTone = (data, samples) => this.deliver(data, samples);
      this.capture.setTone(true);
      this.set({ choice, note: null });
    } else {
      this.set({ choice, note: 'No sound: the stream goes on without it.' });
    }
    this.sink?.setAudio(choice.kind !== 'none');
  }

  /** The picture source changed: an automatic choice follows it (tone with the pattern, none with the camera). */
  videoChanged(video: SourceKind): void {
    if (!this.automatic) return;
    const next = initialAudio(null, video);
    if (next.kind !== this.view.choice?.kind) this.fallBack(this.reason, video);
  }

  setMuted(muted: boolean): void {
    if (this.mic !== null) this.mic.muted = muted;
    this.set({ muted });
  }

  /** Feeds a publisher from now on (null: nobody; chunks are dropped). */
  attach(sink: AudioSink | null): void {
    this.sink = sink;
    sink?.setAudio(this.view.choice !== null && this.view.choice.kind !== 'none');
  }

  /** The loudest level since the last call, 0-100 (the meter polls it). */
  takeLevel(): number {
    const level = meterPercent(this.peak);
    this.peak = 0;
    return level;
  }

  dispose(): void {
    this.disposed = true;
    this.release();
    this.sink = null;
  }

  private fallBack(reason: string, video: SourceKind): void {
    this.release();
    this.reason = reason;
    this.automatic = true;
    const choice = initialAudio(null, video);
    if (choice.kind === 'tone') {
      this.capture.onTone = (data, samples) => this.deliver(data, samples);
      this.capture.setTone(true);
    }
    const what = choice.kind === 'tone' ? 'using the test tone (a beep with each flash)' : 'the stream has no sound';
    this.set({ choice, note: `No microphone: ${reason}; ${what}.` });
    this.sink?.setAudio(choice.kind !== 'none');
  }

  private deliver(data: AudioData, samples: Float32Array): void {
    this.peak = Math.max(this.peak, rmsLevel(samples));
    if (this.sink === null) data.close();
    else this.sink.encodeAudio(data);
  }

  private release(): void {
    this.mic?.stop();
    this.mic = null;
    this.capture.setTone(false);
    this.capture.onTone = null;
  }

  private set(patch: Partial<AudioFeedView>): void {
    this.view = { ...this.view, ...patch };
    if (!this.disposed) this.onChange(this.view);
  }
}
