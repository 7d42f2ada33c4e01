import { type AudioConfig, type DecoderConfig, encodeControl } from '../../shared/protocol.ts';
import { Audience } from './audience.ts';
import type { StoredFrame } from './gop-cache.ts';
import type { RelayCounters } from './relay-counters.ts';
import type { RelayLimits } from './relay-limits.ts';
import { StreamMedia } from './stream-media.ts';
import type { ViewerSession } from './viewer-session.ts';

const utf8 = new TextEncoder();

/** What the fan-out needs from the stream it serves. */
export interface FanOutHost {
  readonly limits: RelayLimits;
  readonly counters: RelayCounters;
  now(): number;
  /** The source must send a keyframe (a delta frame arrived before any). */
  requestKeyframe(): void;
}

/**
 * A stream's viewers on one Machine and what they are fed: the decoder configs, the GOP cache and the
 * slow-viewer policy. One code path, two sources: a home feeds it its publisher's frames, a relay the
 * frames it receives over NATS, byte for byte the same.
 */
export class FanOut {
  readonly media: StreamMedia;
  readonly viewers = new Audience();

  constructor(private readonly host: FanOutHost) {
    this.media = new StreamMedia(host.limits);
  }

  get size(): number {
    return this.viewers.size;
  }

  /** One frame from the source: kept for late joiners and offered to every viewer. Null when it was dropped. */
  deliver(data: Uint8Array, keyframe: boolean, timestampUs: number, track: number): StoredFrame | null {
    const intake = this.media.intake(keyframe, track);
    if (intake !== 'relay') {
      if (intake === 'drop-and-ask-keyframe') this.host.requestKeyframe();
      return null;
    }
    this.host.counters.framesReceived++;
    const frame = this.media.store(data, keyframe, timestampUs, track);
    const now = this.host.now();
    let relayLag: number | undefined;
    const crowd = { relayLagMs: () => (relayLag ??= this.viewers.relayLagMs()) };
    for (const viewer of this.viewers) viewer.offer(frame, now, crowd);
    return frame;
  }

  /**
   * Frames were lost on the way (a relay's NATS link was cut): every viewer waits for the next keyframe,
   * and its old acks mean nothing, so the gap does not count as the viewer falling behind.
   */
  resync(): void {
    this.media.restart();
    for (const viewer of this.viewers) viewer.resetTimeline();
  }

  setConfig(config: DecoderConfig): void {
    this.media.setConfig(config);
    const message = utf8.encode(encodeControl({ type: 'config', config }));
    for (const viewer of this.viewers) {
      viewer.resetTimeline();
      viewer.peer.sendText(message);
    }
  }

  /** True when the audio config changed (viewers were told). */
  setAudioConfig(config: AudioConfig | null): boolean {
    if (!this.media.setAudioConfig(config)) return false;
    this.viewers.sendText(utf8.encode(encodeControl({ type: 'audio-config', config })));
    return true;
  }

  /**
   * A new viewer: its `hello`, then the cached GOP (starting at its keyframe), then live frames through
   * deliver(). False when there was no GOP to start it with (the caller asks for a keyframe).
   */
  admit(viewer: ViewerSession, hello: () => string): boolean {
    this.viewers.add(viewer);
    // Built once the viewer is counted: the hello's viewer count includes it.
    viewer.peer.sendText(hello());
    const gop = this.media.joinFrames();
    viewer.start(gop);
    return gop.length > 0;
  }

  /** True when the viewer was still here. */
  remove(viewer: ViewerSession): boolean {
    return this.viewers.delete(viewer);
  }

  /** The same encoded bytes to every viewer. */
  sendText(bytes: Uint8Array): void {
    this.viewers.sendText(bytes);
  }

  /** Every viewer gets `notice` (if any) and a close; the cache is dropped. */
  closeAll(notice: Uint8Array | null, code: number, reason: string): void {
    this.media.forget();
    this.viewers.closeAll(notice, code, reason);
  }
}
