import type { AudioConfig } from '../../../../shared/audio-config.ts';
import { decodeAudioPayload } from '../../../../shared/audio-packets.ts';
import { base64ToBytes, type Frame } from '../../../../shared/protocol.ts';
import {
  type Anchor,
  audioMayPlay,
  type ClockReading,
  decodedTimestampUs,
  JITTER_TARGET_S,
  mediaTimeUs,
  nextExtraDelayS,
  opusPreSkipUs,
  type PictureState,
  planChunk,
} from '../../lib/av-sync.ts';
import { readSoundPrefs, type SoundPrefs, writeSoundPrefs } from '../../lib/sound-prefs.ts';
import type { GateMessage } from './stall-gate.worklet.ts';
import stallGateUrl from './stall-gate.worklet.ts?worker&url';

/** Decoder failures in a row, with nothing decoded in between, before the sound is given up. */
export const MAX_AUDIO_DECODER_FAILURES = 3;
/**
 * Sound that ran dry (nothing scheduled past what is heard) holds the pictures at its end for this long,
 * so they stop and go on together with it; longer, and the pictures go on alone.
 */
export const AUDIO_STARVED_WAIT_S = 1.0;
/** Chunks held back for the picture are bounded (about 2 s of 60 ms packets): the oldest go first. */
export const MAX_HELD_CHUNKS = 32;
/**
 * Encoded chunks waiting in the decoder beyond this are dropped (a decoder that stopped answering):
 * a late joiner's burst (its cached group of pictures) is well under it, and old sound is skipped
 * after decoding (MAX_BEHIND_LIVE_US), not before, since only then is the newest one known.
 */
export const MAX_DECODE_QUEUE = 200;
/** A chunk this far below the newest one starts a new timeline (rather than being "behind live"). */
export const NEW_TIMELINE_US = 5_000_000;
/** Pictures wait at most this long for the sound to start; then they go on without it. */
export const AUDIO_START_WAIT_MS = 2_000;
/** Pictures decoded late count (to delay the sound) once its timeline has run this long: not at a start. */
export const STEADY_AFTER_MS = 1_000;

/**
 * none: the stream has no sound; unsupported: this browser cannot play it; muted: the viewer's choice;
 * blocked: unmuted, but the browser waits for a click before it plays sound; playing.
 */
export type SoundState = 'none' | 'unsupported' | 'muted' | 'blocked' | 'playing';

export interface SoundView extends SoundPrefs {
  state: SoundState;
}

export function audioAvailable(): boolean {
  return typeof AudioDecoder === 'function' && typeof AudioContext === 'function';
}

/**
 * The watch page's sound: AudioDecoder output scheduled as AudioBufferSourceNodes on an AudioContext,
 * JITTER_TARGET_S ahead (see lib/av-sync.ts); its clock is the one the picture follows. The page starts
 * muted (browsers refuse sound before a click) unless the viewer unmuted on an earlier visit; the
 * choice and the volume are remembered. A decoder error rebuilds the decoder (three in a row: given
 * up); the picture never waits for the sound's troubles.
 */
export class AudioPlayer {
  private ctx: AudioContext | null = null;
  /** Where the scheduled chunks go: through the stall gate (once loaded), the volume, the speakers. */
  private bus: GainNode | null = null;
  private gain: GainNode | null = null;
  private gate: AudioWorkletNode | null = null;
  /** What the gate was last told (it gets only changes). */
  private told: Required<GateMessage> = { anchor: null, latencyS: 0, nextPictureUs: null };
  private decoder: AudioDecoder | null = null;
  private config: AudioDecoderConfig | null = null;
  private hasAudio = false;
  private unsupported = false;
  private failuresInRow = 0;
  private anchor: Anchor | null = null;
  /** Context time at which the last scheduled chunk ends. */
  private endS = 0;
  private readonly scheduled = new Set<{ node: AudioBufferSourceNode; startS: number }>();
  /** Decoded chunks waiting for the picture, each with its media time. */
  private held: Array<{ data: AudioData; tsUs: number }> = [];
  /** Timestamps of the packets in the decoder, oldest first: one decoded chunk comes out per packet. */
  private inDecoder: number[] = [];
  private firstOutput = true;
  private preSkipUs = 0;
  /** The newest timestamp received: where live is. */
  private newestUs = 0;
  /** Since when the sound is due to start (no timeline yet): pictures wait for it that long at most. */
  private startingSinceMs = performance.now();
  /** When the current timeline started. */
  private anchoredAtMs = 0;
  /** How much more than JITTER_TARGET_S the sound waits, for pictures that decode late (see nextExtraDelayS). */
  private extraDelayS = 0;
  private prefs: SoundPrefs = readSoundPrefs();
  private closed = false;

  decoded = 0;
  decoderErrors = 0;

  constructor(
    private readonly onChange: (view: SoundView) => void,
    /** The picture's state, for "sound never plays ahead of a frozen picture". */
    private readonly picture: () => PictureState,
  ) {}

  get view(): SoundView {
    let state: SoundState;
    if (!this.hasAudio) state = 'none';
    else if (this.unsupported || !audioAvailable()) state = 'unsupported';
    else if (this.prefs.muted) state = 'muted';
    else state = this.ctx?.state === 'running' ? 'playing' : 'blocked';
    return { state, ...this.prefs };
  }

  /** The stream's audio config (null: no sound). A new config restarts the decoder and the timeline. */
  configure(config: AudioConfig | null): void {
    if (this.closed) return;
    this.hasAudio = config !== null;
    this.unsupported = false;
    this.failuresInRow = 0;
    this.reset();
    if (config === null || !audioAvailable()) {
      this.config = null;
      this.closeDecoder();
      this.changed();
      return;
    }
    const next: AudioDecoderConfig = {
      codec: config.codec,
      sampleRate: config.sampleRate,
      numberOfChannels: config.numberOfChannels,
    };
    if (config.description !== undefined) {
      const bytes = base64ToBytes(config.description);
      if (bytes.ok) next.description = bytes.value;
    }
    this.preSkipUs = opusPreSkipUs(next.description as Uint8Array | undefined);
    this.config = next;
    this.ensureContext();
    this.build();
    this.changed();
  }

  /** An audio frame: its packets (each decodes alone) go to the decoder one by one, each at its own time. */
  push(frame: Frame): void {
    const packets = decodeAudioPayload(frame.payload);
    // The relay checks the layout: a malformed frame can only come from elsewhere; skipped.
    if (!packets.ok) return;
    const newestUs = frame.timestampUs + packets.value.at(-1)!.offsetUs;
    // Rising, except for a new timeline far below (a publisher whose clock restarted).
    if (newestUs > this.newestUs || newestUs < this.newestUs - NEW_TIMELINE_US) this.newestUs = newestUs;
    const decoder = this.decoder;
    if (this.closed || decoder === null || decoder.state !== 'configured') return;
    if (decoder.decodeQueueSize > MAX_DECODE_QUEUE) return;
    try {
      for (const packet of packets.value) {
        const timestamp = frame.timestampUs + packet.offsetUs;
        decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data: packet.data }));
        this.inDecoder.push(timestamp);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * The media time (µs) the viewer hears at `perfNowMs`, which the pictures follow: never past the end
   * of the sound scheduled so far, so when the sound runs dry the pictures stop with it (for up to
   * AUDIO_STARVED_WAIT_S). 'wait' while the sound is about to start (up to AUDIO_START_WAIT_MS: the
   * browser is starting the context for a viewer who wants sound, or the first chunks are on their way).
   * null when there is no sound to follow: the pictures then pace themselves.
   */
  clockUs(perfNowMs: number): ClockReading {
    const ctx = this.ctx;
    if (ctx === null || this.decoder === null) return null;
    const starting = perfNowMs - this.startingSinceMs < AUDIO_START_WAIT_MS;
    if (ctx.state !== 'running') return starting && !this.prefs.muted ? 'wait' : null;
    if (this.anchor === null) return starting ? 'wait' : null;
    const heard = heardContextTime(ctx, perfNowMs);
    // The sound has not begun (it starts JITTER_TARGET_S after its first chunk): nor do the pictures.
    if (heard < this.anchor.ctxS) return 'wait';
    const latencyS = Math.max(0, ctx.currentTime - heardContextTime(ctx, performance.now()));
    if (Math.abs(latencyS - this.told.latencyS) > 0.002) this.tell({ latencyS });
    if (heard > this.endS + AUDIO_STARVED_WAIT_S) return null;
    return mediaTimeUs(this.anchor, Math.min(heard, this.endS));
  }

  /** Call from a click (a user gesture): browsers start sound only then. */
  unmute(): void {
    this.prefs = { ...this.prefs, muted: false };
    this.savePrefs();
    this.ensureContext();
    void this.ctx?.resume().catch(() => {});
  }

  mute(): void {
    this.prefs = { ...this.prefs, muted: true };
    this.savePrefs();
  }

  setVolume(volume: number): void {
    this.prefs = { ...this.prefs, volume: Math.min(1, Math.max(0, volume)) };
    this.savePrefs();
  }

  /** The picture moved on: sound held back for it may go now. */
  pictureAdvanced(): void {
    if (this.held.length > 0) this.release();
  }

  /**
   * A picture decoded `lateUs` after the sound reached it: if that is late enough, the sound starts a
   * new timeline further back so the pictures are ready when it gets there (the slower track leads).
   */
  pictureLate(lateUs: number): void {
    if (this.anchor === null || performance.now() - this.anchoredAtMs < STEADY_AFTER_MS) return;
    const next = nextExtraDelayS(this.extraDelayS, lateUs);
    if (next === this.extraDelayS) return;
    this.extraDelayS = next;
    this.anchor = null;
    this.tell({ anchor: null });
    this.startingSinceMs = performance.now();
    if (this.ctx !== null) this.cancelPending(this.ctx.currentTime);
  }

  /** Every display frame: the next picture waiting to be painted (null: none), for the stall gate. */
  pictureWaiting(nextPictureUs: number | null): void {
    if (nextPictureUs !== this.told.nextPictureUs) this.tell({ nextPictureUs });
  }

  close(): void {
    this.closed = true;
    this.reset();
    this.closeDecoder();
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
  }

  private savePrefs(): void {
    writeSoundPrefs(this.prefs);
    if (this.gain !== null) this.gain.gain.value = this.prefs.muted ? 0 : this.prefs.volume;
    this.changed();
  }

  private changed(): void {
    if (!this.closed) this.onChange(this.view);
  }

  /** Made once there is sound to play; it runs muted when the browser allows, so its clock leads the picture. */
  private ensureContext(): void {
    if (this.ctx !== null || !audioAvailable()) return;
    let ctx: AudioContext;
    try {
      ctx = new AudioContext({ latencyHint: 'interactive', sampleRate: 48_000 });
    } catch {
      ctx = new AudioContext({ latencyHint: 'interactive' });
    }
    const gain = ctx.createGain();
    gain.gain.value = this.prefs.muted ? 0 : this.prefs.volume;
    gain.connect(ctx.destination);
    const bus = ctx.createGain();
    bus.connect(gain);
    this.bus = bus;
    // Until the gate is loaded (or where worklets are missing) the sound goes straight on.
    void ctx.audioWorklet
      ?.addModule(stallGateUrl)
      .then(() => {
        if (this.closed) return;
        const gate = new AudioWorkletNode(ctx, 'replaycast-stall-gate');
        bus.disconnect();
        bus.connect(gate);
        gate.connect(gain);
        this.gate = gate;
        gate.port.postMessage(this.told);
      })
      .catch(() => {});
    ctx.onstatechange = () => {
      // Whatever was scheduled before a suspension is stale: start a fresh timeline (with what was held).
      if (ctx.state === 'running') this.release();
      else this.reset();
      this.changed();
    };
    this.ctx = ctx;
    this.gain = gain;
    void ctx.resume().catch(() => {});
  }

  private build(): void {
    this.closeDecoder();
    if (this.config === null) return;
    const decoder = new AudioDecoder({
      output: (data) => this.output(data),
      error: (err) => {
        if (this.decoder === decoder) this.fail(err);
      },
    });
    this.decoder = decoder;
    this.inDecoder = [];
    this.firstOutput = true;
    try {
      decoder.configure(this.config);
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(_err: unknown): void {
    this.decoderErrors++;
    this.failuresInRow++;
    this.closeDecoder();
    this.reset();
    if (this.failuresInRow >= MAX_AUDIO_DECODER_FAILURES) {
      this.unsupported = true;
      this.changed();
      return;
    }
    // The error callback runs inside the decoder's own task: rebuild after it. Opus needs no keyframe.
    queueMicrotask(() => {
      if (!this.closed) this.build();
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

  private output(data: AudioData): void {
    this.decoded++;
    this.failuresInRow = 0;
    const packetTs = this.inDecoder.shift();
    const tsUs =
      packetTs === undefined ? data.timestamp : decodedTimestampUs(packetTs, this.firstOutput, this.preSkipUs);
    this.firstOutput = false;
    if (this.closed || this.ctx === null) {
      data.close();
      return;
    }
    // Held while the context starts too: its first sound is then the one the first picture needs.
    this.held.push({ data, tsUs });
    if (this.held.length > MAX_HELD_CHUNKS) this.held.shift()!.data.close();
    if (this.ctx.state === 'running') this.release();
  }

  /** Schedules the held chunks the picture allows, oldest first. */
  private release(): void {
    const nowMs = performance.now();
    const picture = this.picture();
    while (this.held.length > 0 && audioMayPlay(this.held[0]!.tsUs, picture, nowMs)) {
      const { data, tsUs } = this.held.shift()!;
      this.schedule(data, tsUs);
      data.close();
    }
  }

  private schedule(data: AudioData, tsUs: number): void {
    const ctx = this.ctx!;
    const plan = planChunk(this.anchor, tsUs, ctx.currentTime, this.newestUs, JITTER_TARGET_S + this.extraDelayS);
    // Starting behind live: skipped, and the pictures go on waiting for the sound's start.
    if (plan.kind === 'skip') return;
    if (plan.kind === 'anchored') this.cancelPending(ctx.currentTime);
    const buffer = ctx.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
    const plane = new Float32Array(data.numberOfFrames);
    for (let c = 0; c < data.numberOfChannels; c++) {
      data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
      buffer.copyToChannel(plane, c);
    }
    if (plan.anchor !== this.anchor) {
      this.tell({ anchor: plan.anchor });
      this.anchoredAtMs = performance.now();
    }
    this.anchor = plan.anchor;
    const node = ctx.createBufferSource();
    node.buffer = buffer;
    node.connect(this.bus!);
    const entry = { node, startS: plan.startS };
    node.onended = () => this.scheduled.delete(entry);
    node.start(plan.startS);
    this.scheduled.add(entry);
    this.endS = Math.max(plan.startS + buffer.duration, plan.kind === 'anchored' ? 0 : this.endS);
  }

  /** A new timeline: chunks of the old one that have not started yet would overlap it. */
  private cancelPending(nowS: number): void {
    for (const entry of this.scheduled) {
      if (entry.startS > nowS) {
        entry.node.stop();
        this.scheduled.delete(entry);
      }
    }
  }

  private tell(message: GateMessage): void {
    this.told = { ...this.told, ...message };
    this.gate?.port.postMessage(message);
  }

  private reset(): void {
    if (this.anchor !== null) this.tell({ anchor: null });
    this.anchor = null;
    this.startingSinceMs = performance.now();
    this.endS = 0;
    for (const { data } of this.held) data.close();
    this.held = [];
    for (const entry of this.scheduled) {
      try {
        entry.node.stop();
      } catch {
        // not started, or the context is gone
      }
    }
    this.scheduled.clear();
  }
}

/** The context time the speakers play at `perfNowMs`, from the output's own timestamp when it gives one. */
function heardContextTime(ctx: AudioContext, perfNowMs: number): number {
  const stamp = typeof ctx.getOutputTimestamp === 'function' ? ctx.getOutputTimestamp() : null;
  if (stamp?.contextTime !== undefined && stamp.performanceTime !== undefined && stamp.performanceTime > 0) {
    return stamp.contextTime + (perfNowMs - stamp.performanceTime) / 1000;
  }
  return ctx.currentTime - (ctx.outputLatency || ctx.baseLatency || 0);
}
