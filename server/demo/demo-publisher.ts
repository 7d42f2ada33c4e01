import { AudioFramer } from '../../shared/audio-packets.ts';
import { encodeControl, FRAME_HEADER_BYTES, parseServerToPublisher, writeFrameHeader } from '../../shared/protocol.ts';
import type { LiveStream } from '../streams/live-stream.ts';
import type { Peer } from '../streams/peer.ts';
import type { PublisherSession } from '../streams/publisher-session.ts';
import { DemoAudioTrack } from './demo-audio.ts';
import type { IvfFile } from './ivf.ts';
import type { OggOpusFile } from './ogg-opus.ts';

/**
 * A synthetic creator: loops the fixture's VP8 frames, and its Opus packets in step with them, with
 * live (wall-clock) timestamps into a stream, through the same publisher session a real socket uses.
 * A keyframe request makes it jump to the fixture's next keyframe at once; the sound jumps with it.
 */
export class DemoPublisher implements Peer {
  readonly bufferedAmount = 0;
  private session: PublisherSession | null = null;
  private timer: NodeJS.Timeout | null = null;
  private index = 0;
  private sent = 0;
  private startMs = 0;
  private readonly frameMs: number;
  /** Each fixture frame with room for the wire header, rewritten in place for every send. */
  private readonly wire: Uint8Array[];
  private readonly audio: DemoAudioTrack | null;
  /** Gathers the audio packets into messages as the go-live page does (AUDIO_PACKETS_PER_MESSAGE each). */
  private readonly framer = new AudioFramer();
  /** After a jump, the sound restarts at the next frame sent. */
  private reseekAudio = true;

  constructor(
    private readonly stream: LiveStream,
    private readonly fixture: IvfFile,
    audioFixture: OggOpusFile | null = null,
  ) {
    const frames = fixture.frames;
    const span = frames.length > 1 ? (frames.at(-1)!.timestamp - frames[0]!.timestamp) / (frames.length - 1) : 1;
    this.frameMs = (1000 * span * fixture.timebaseNumerator) / fixture.timebaseDenominator;
    this.wire = frames.map((f) => {
      const buf = new Uint8Array(FRAME_HEADER_BYTES + f.data.byteLength);
      buf.set(f.data, FRAME_HEADER_BYTES);
      return buf;
    });
    this.audio = audioFixture === null ? null : new DemoAudioTrack(audioFixture, frames.length * this.frameMs * 1000);
  }

  start(): void {
    this.session = this.stream.connectPublisher(this);
    this.session.onText(
      encodeControl({
        type: 'config',
        config: { codec: 'vp8', codedWidth: this.fixture.width, codedHeight: this.fixture.height },
      }),
    );
    this.session.onText(encodeControl({ type: 'audio-config', config: this.audio?.config() ?? null }));
    this.startMs = Date.now();
    this.tick();
  }

  stop(): void {
    this.framer.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.session = null;
  }

  // Peer: what the relay sends to this "publisher".
  sendText(data: string | Uint8Array): void {
    const message = parseServerToPublisher(typeof data === 'string' ? data : new TextDecoder().decode(data));
    if (message.ok && message.value.type === 'keyframe-request') {
      const next = this.fixture.frames.findIndex((f, i) => i >= this.index && f.keyframe);
      this.index = next === -1 ? 0 : next;
      this.reseekAudio = true;
    }
  }

  sendBinary(): void {}

  close(): void {
    this.stop();
  }

  /** The audio packets captured by the time of the frame just sent (`timestampUs`). */
  private sendAudio(timestampUs: number): void {
    const audio = this.audio;
    if (audio === null || this.session === null) return;
    if (this.reseekAudio) {
      this.reseekAudio = false;
      // What was gathered of the old stretch goes now, on its own.
      const rest = this.framer.flush();
      if (rest !== null) this.session.onBinary(rest);
      audio.seek(this.index * this.frameMs * 1000, timestampUs);
    }
    for (const packet of audio.due(timestampUs)) {
      for (const message of this.framer.add(packet.timestampUs, packet.payload)) this.session.onBinary(message);
    }
  }

  private tick(): void {
    if (this.session === null) return;
    const frame = this.fixture.frames[this.index]!;
    const buf = this.wire[this.index]!;
    const dueMs = this.startMs + this.sent * this.frameMs;
    const timestampUs = Math.round(dueMs * 1000);
    writeFrameHeader(buf, frame.keyframe, timestampUs);
    this.session.onBinary(buf);
    this.sendAudio(timestampUs);
    this.sent++;
    this.index = (this.index + 1) % this.fixture.frames.length;
    // Schedule against the start time, so timer lateness does not accumulate into drift.
    const delay = Math.max(0, this.startMs + this.sent * this.frameMs - Date.now());
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }
}
