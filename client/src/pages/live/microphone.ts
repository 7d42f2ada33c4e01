import { captureOffsetUs } from '../../lib/audio-input.ts';

/** Browsers clean the voice up as they can; a plain microphone without these still works. */
export const MIC_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  channelCount: 1,
};

export function micCaptureAvailable(): boolean {
  return (
    typeof navigator.mediaDevices?.getUserMedia === 'function' &&
    typeof (globalThis as { MediaStreamTrackProcessor?: unknown }).MediaStreamTrackProcessor === 'function' &&
    typeof AudioData === 'function'
  );
}

/** Why the microphone is not used, in words for the page. */
export function micProblem(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'microphone permission was denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no microphone was found';
  if (name === 'NotReadableError') return 'the microphone is in use by another program';
  return 'the microphone could not be opened';
}

/** The microphones the browser names (labels appear once a permission was given). */
export async function listMicrophones(): Promise<Array<{ deviceId: string; label: string }>> {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices
      .filter((d) => d.kind === 'audioinput' && d.deviceId !== '')
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Microphone ${i + 1}` }));
  } catch {
    return [];
  }
}

interface TrackProcessor {
  readable: ReadableStream<AudioData>;
}
type TrackProcessorClass = new (init: { track: MediaStreamTrack }) => TrackProcessor;

/**
 * One open microphone: its chunks, as mono AudioData stamped on the wall clock (the video frames' clock),
 * silent while muted (the track goes on, so the stream's sound keeps its timeline).
 */
export class Microphone {
  muted = false;
  /** Each captured chunk, owned by the receiver (it must close it), with its samples for the level meter. */
  onData: ((data: AudioData, samples: Float32Array) => void) | null = null;
  private offsetUs: number | null = null;
  private stopped = false;

  private constructor(
    private readonly stream: MediaStream,
    readonly deviceId: string,
  ) {}

  /** Opens a microphone (the default one without `deviceId`); throws (see micProblem) when it cannot. */
  static async open(deviceId?: string): Promise<Microphone> {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: deviceId === undefined ? MIC_CONSTRAINTS : { ...MIC_CONSTRAINTS, deviceId: { exact: deviceId } },
    });
    const track = stream.getAudioTracks()[0];
    if (track === undefined) throw new DOMException('no audio track', 'NotFoundError');
    const mic = new Microphone(stream, track.getSettings().deviceId ?? deviceId ?? 'default');
    void mic.pump(track);
    return mic;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.stream.getTracks()) t.stop();
  }

  private async pump(track: MediaStreamTrack): Promise<void> {
    const Processor = (globalThis as unknown as { MediaStreamTrackProcessor: TrackProcessorClass })
      .MediaStreamTrackProcessor;
    const reader = new Processor({ track }).readable.getReader();
    try {
      while (!this.stopped) {
        const { value, done } = await reader.read();
        if (done) return;
        this.forward(value);
      }
    } catch {
      // the track ended
    } finally {
      reader.releaseLock();
    }
  }

  private forward(data: AudioData): void {
    this.offsetUs ??= captureOffsetUs(data.timestamp, performance.now(), performance.timeOrigin);
    const frames = data.numberOfFrames;
    const samples = new Float32Array(frames);
    if (!this.muted) {
      // Mono: the mean of the channels.
      const plane = new Float32Array(frames);
      for (let c = 0; c < data.numberOfChannels; c++) {
        data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
        for (let i = 0; i < frames; i++) samples[i]! += plane[i]! / data.numberOfChannels;
      }
    }
    const mono = new AudioData({
      format: 'f32-planar',
      sampleRate: data.sampleRate,
      numberOfChannels: 1,
      numberOfFrames: frames,
      timestamp: data.timestamp + this.offsetUs,
      data: samples,
    });
    data.close();
    if (this.onData === null) mono.close();
    else this.onData(mono, samples);
  }
}
