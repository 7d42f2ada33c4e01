import type { DecoderConfig } from '../../shared/protocol.ts';
import { GopCache, type GopLimits, type StoredFrame } from './gop-cache.ts';

/**
 * What a stream keeps of its publisher's video: the decoder config, whether the encoder's first keyframe
 * since a (new) config or connection has come, and the group of pictures a late joiner starts from.
 */
export class FramePath {
  config: DecoderConfig | null = null;
  /** After a (new) config or publisher, frames are dropped until the encoder's first keyframe. */
  private awaitingKeyframe = true;
  private readonly gop: GopCache;

  constructor(limits: GopLimits) {
    this.gop = new GopCache(limits);
  }

  get gopBytes(): number {
    return this.gop.bytes;
  }

  /** A new publisher connection: its first frame must be a keyframe. */
  restart(): void {
    this.awaitingKeyframe = true;
  }

  setConfig(config: DecoderConfig): void {
    this.config = config;
    this.awaitingKeyframe = true;
    this.gop.clear();
  }

  /** Frames of the old encoder are useless to a late joiner once a new one starts. */
  clear(): void {
    this.gop.clear();
  }

  /**
   * The frame to relay, stored once (one exact-size copy: ws may hand us a view into a larger receive
   * buffer, which the cache must not pin; a Buffer, so ws does not wrap it anew for each viewer), or
   * null when it is dropped while waiting for a keyframe.
   */
  admit(data: Uint8Array, keyframe: boolean, timestampUs: number): StoredFrame | null {
    if (this.awaitingKeyframe) {
      if (!keyframe) return null;
      this.awaitingKeyframe = false;
    }
    const copy = Buffer.allocUnsafeSlow(data.byteLength);
    copy.set(data);
    const frame = { data: copy, keyframe, timestampUs };
    this.gop.push(frame);
    return frame;
  }

  /** What a new viewer starts from: the cached GOP once configured and past a keyframe, else nothing. */
  joinFrames(): readonly StoredFrame[] {
    return this.config !== null && !this.awaitingKeyframe ? this.gop.snapshot : [];
  }
}
