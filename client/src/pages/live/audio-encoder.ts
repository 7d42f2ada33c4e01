import type { AudioConfig } from '../../../../shared/audio-config.ts';
import { AUDIO_PACKETS_PER_MESSAGE, AudioFramer } from '../../../../shared/audio-packets.ts';
import { bytesToBase64 } from '../../../../shared/protocol.ts';
import { audioDiscontinuity } from '../../lib/audio-input.ts';

/**
 * Opus, mono, in 60 ms frames, AUDIO_PACKETS_PER_MESSAGE (2) to a message: about 8.3 audio messages a
 * second, so with 30 fps video a viewer gets about 38 messages a second in all (each message costs the
 * relay one send per viewer; one 20 ms frame a message would add 50 on their own). 48 kbit/s is plenty
 * for a voice or a beep.
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
 * Encodes the stream's sound with WebCodecs and hands out wire-ready audio frames (each with
 * AUDIO_PACKETS_PER_MESSAGE packets), each with the decoder config it belongs to. Configured from the first chunk's sample rate (a microphone may run at
 * 44.1 kHz); a chunk at another rate (a different input), or one that does not follow on from the
 * previous (see audioDiscontinuity), starts a new encoder: the encoder stamps by counting samples.
 */
export class AudioTrackEncoder {
  private encoder: AudioEncoder | null = null;
  private sampleRate = 0;
  private config: AudioConfig | null = null;
  private readonly framer = new AudioFramer(AUDIO_PACKETS_PER_MESSAGE);
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
    this.framer.clear();
    if (this.encoder !== null && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
  }

  /** What was gathered goes out now, with the config it was encoded with. */
  private flush(): void {
    const rest = this.framer.flush();
    if (rest !== null && this.config !== null) this.out(this.config, rest);
  }

  private start(sampleRate: number): void {
    this.flush();
    this.close();
    const encoder = new AudioEncoder({
      output: (chunk, meta) => {
        if (this.encoder !== encoder) return;
        if (meta?.decoderConfig) {
          this.flush();
          this.config = toAudioConfig(meta.decoderConfig);
        }
        if (this.config === null) return;
        const packet = new Uint8Array(chunk.byteLength);
        chunk.copyTo(packet);
        for (const frame of this.framer.add(chunk.timestamp, packet)) this.out(this.config, frame);
      },
      error: (err) => this.onError(err.message),
    });
    encoder.configure(audioEncoderConfig(sampleRate));
    this.encoder = encoder;
    this.sampleRate = sampleRate;
    this.config = null;
  }
}
