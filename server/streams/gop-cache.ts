/** One relayed frame, stored once: `data` is the exact message every viewer is sent. */
export interface StoredFrame {
  data: Uint8Array;
  /** `data` as a whole WebSocket frame (ws-frame.ts), when framed: written to each viewer's socket as is. */
  wire?: Uint8Array;
  /** Video keyframes only (an audio frame never starts a group of pictures). */
  keyframe: boolean;
  timestampUs: number;
  /** TRACK_AUDIO (shared/protocol.ts) for audio; video otherwise (absent: video). */
  track?: number;
}

export interface GopLimits {
  gopMaxFrames: number;
  gopMaxBytes: number;
}

/**
 * The current group of pictures (last keyframe and what followed, audio frames included, in the
 * order they arrived), for late joiners; the caps count audio frames and bytes too.
 * A keyframe restarts it; a delta frame with no keyframe cached is not kept (useless alone);
 * past either cap the whole group is dropped until the next keyframe (as SRS does), because a
 * truncated tail could not be decoded and a stream without keyframes must not grow it forever.
 */
export class GopCache {
  private frames: StoredFrame[] = [];
  private totalBytes = 0;

  constructor(private readonly limits: GopLimits) {}

  push(frame: StoredFrame): void {
    if (frame.keyframe) {
      this.frames = [];
      this.totalBytes = 0;
    } else if (this.frames.length === 0) {
      return;
    }
    if (
      this.frames.length + 1 > this.limits.gopMaxFrames ||
      this.totalBytes + frame.data.byteLength > this.limits.gopMaxBytes
    ) {
      this.clear();
      return;
    }
    this.frames.push(frame);
    this.totalBytes += frame.data.byteLength;
  }

  /** Forgets one track's frames (its decoder config changed), keeping the pictures. */
  dropTrack(track: number): void {
    if (!this.frames.some((f) => f.track === track)) return;
    this.frames = this.frames.filter((f) => f.track !== track);
    this.totalBytes = this.frames.reduce((sum, f) => sum + f.data.byteLength, 0);
  }

  clear(): void {
    this.frames = [];
    this.totalBytes = 0;
  }

  /** Oldest first; empty, or starting with a keyframe. */
  get snapshot(): readonly StoredFrame[] {
    return this.frames;
  }

  get bytes(): number {
    return this.totalBytes;
  }
}
