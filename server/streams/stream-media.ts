import { sameAudioConfig } from '../../shared/audio-config.ts';
import { type AudioConfig, type DecoderConfig, TRACK_AUDIO, TRACK_VIDEO } from '../../shared/protocol.ts';
import { GopCache, type GopLimits, type StoredFrame } from './gop-cache.ts';
import { frameBinary } from './ws-frame.ts';

/** What to do with a frame the publisher sent. */
export type Intake = 'relay' | 'drop' | 'drop-and-ask-keyframe';

/**
 * What a late joiner needs from a stream: its decoder configs and the cached group of pictures, and
 * whether the current encoder has sent its first keyframe yet (frames before it cannot be decoded).
 */
export class StreamMedia {
  config: DecoderConfig | null = null;
  /** Kept and resent like the video config; null: the stream has no audio (now). */
  audioConfig: AudioConfig | null = null;
  /** After a (new) config or publisher, frames are dropped until the encoder's first keyframe. */
  private awaitingKeyframe = true;
  private readonly gop: GopCache;

  constructor(limits: GopLimits) {
    this.gop = new GopCache(limits);
  }

  /** Bytes held by the GOP cache. */
  get gopBytes(): number {
    return this.gop.bytes;
  }

  /** A new encoder (a publisher connected): wait for its first keyframe. */
  restart(): void {
    this.awaitingKeyframe = true;
  }

  /** The publisher is gone: frames of the old encoder are useless to a late joiner once a new one starts. */
  forget(): void {
    this.gop.clear();
  }

  setConfig(config: DecoderConfig): void {
    this.config = config;
    this.awaitingKeyframe = true;
    this.gop.clear();
  }

  /** False when nothing changed; else cached audio of the old config is dropped. */
  setAudioConfig(config: AudioConfig | null): boolean {
    if (sameAudioConfig(this.audioConfig, config)) return false;
    this.audioConfig = config;
    this.gop.dropTrack(TRACK_AUDIO);
    return true;
  }

  /** Before the first keyframe nothing is relayed: audio belongs to a group of pictures, none has started. */
  intake(keyframe: boolean, track: number): Intake {
    if (!this.awaitingKeyframe) return 'relay';
    if (track !== TRACK_VIDEO) return 'drop';
    if (!keyframe) return 'drop-and-ask-keyframe';
    this.awaitingKeyframe = false;
    return 'relay';
  }

  /**
   * Stores a relayed frame as one exact-size copy, already framed for the wire (ws-frame.ts): ws may hand
   * us a view into a larger receive buffer, which the cache must not pin. Every viewer then gets these
   * same bytes.
   */
  store(data: Uint8Array, keyframe: boolean, timestampUs: number, track: number): StoredFrame {
    const framed = frameBinary(data);
    const frame = { data: framed.data, wire: framed.wire, keyframe, timestampUs, track };
    this.gop.push(frame);
    return frame;
  }

  /** The frames a new viewer starts with: the cached group from its keyframe, or none yet. */
  joinFrames(): readonly StoredFrame[] {
    return this.config !== null && !this.awaitingKeyframe ? this.gop.snapshot : [];
  }
}
