import type { AudioConfig } from '../../../../shared/audio-config.ts';
import { bytesToBase64, FRAME_HEADER_BYTES, TRACK_AUDIO, writeFrameHeader } from '../../../../shared/protocol.ts';
import { audioDiscontinuity } from '../../lib/audio-input.ts';

/**
 * Opus, mono, in 60 ms frames: about 17 audio messages a second, so with 30 fps video a viewer gets
 * about 47 messages a second in all (each message costs the relay one send per viewer; 20 ms frames
 * would add 50 on their own). 48 kbit/s is plenty for a voice or a beep.
 */
export const AUDIO_FRAME_DURATION_US = 60_000;
export const AUDIO_BITRATE_BPS = 48_000;

export function audioEncoderConfig(sampleRate: number): AudioEncoderConfig {
  return {
    codec: 'opus',
    sampleRate,
    numberOfChannels: 1,
    bitrate: AUDIO_BITRATE_BPS,
    opus: { frameDuration: AUDIO_FRAME_DURATION_US },
  } as AudioEncoderConfig;
}

export function audioEncoderAvailable(): boolean {
  return typeof AudioEncoder === 'function' && typeof AudioData === 'function';
}

/** The wire form of the encoder's decoder config (the OpusHead description in base64). */
function toAudioConfig(meta: AudioDecoderConfig): AudioConfig {
  const config: AudioConfig = {
    codec: meta.codec,
    sampleRate: meta.sampleRate,
    numberOfChannels: meta.numberOfChannels,
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
 * Encodes the stream's sound with WebCodecs and hands out wire-ready audio frames, each with the
 * decoder config it belongs to. Configured from the first chunk's sample rate (a microphone may run at
 * 44.1 kHz); a chunk at another rate (a different input), or one that does not follow on from the
 * previous (see audioDiscontinuity), starts a new encoder: the encoder stamps by counting samples.
 */
export class AudioTrackEncoder {
  private encoder: AudioEncoder | null = null;
  private sampleRate = 0;
  private config: AudioConfig | null = null;
  /** Where the previous input chunk ended (µs). */
  private expectedUs: number | null = null;

  constructor(
    private readonly out: (config: AudioConfig, frame: Uint8Array<ArrayBuffer>) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Takes ownership of `data` (closes it). */
  encode(data: AudioData): void {
    try {
      if (
        this.encoder === null ||
        this.encoder.state === 'closed' ||
        data.sampleRate !== this.sampleRate ||
        audioDiscontinuity(this.expectedUs, data.timestamp)
      ) {
        this.start(data.sampleRate);
      }
      this.encoder!.encode(data);
      this.expectedUs = data.timestamp + (data.numberOfFrames * 1e6) / data.sampleRate;
    } catch (err) {
      this.onError(err instanceof Error ? err.message : String(err));
    } finally {
      data.close();
    }
  }

  close(): void {
    if (this.encoder !== null && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
  }

  private start(sampleRate: number): void {
    this.close();
    const encoder = new AudioEncoder({
      output: (chunk, meta) => {
        if (meta?.decoderConfig) this.config = toAudioConfig(meta.decoderConfig);
        if (this.config === null || this.encoder !== encoder) return;
        const buf = new Uint8Array(FRAME_HEADER_BYTES + chunk.byteLength);
        chunk.copyTo(buf.subarray(FRAME_HEADER_BYTES));
        writeFrameHeader(buf, false, chunk.timestamp, TRACK_AUDIO);
        this.out(this.config, buf);
      },
      error: (err) => this.onError(err.message),
    });
    encoder.configure(audioEncoderConfig(sampleRate));
    this.encoder = encoder;
    this.sampleRate = sampleRate;
    this.config = null;
  }
}
