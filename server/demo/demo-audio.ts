import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioConfig } from '../../shared/audio-config.ts';
import { bytesToBase64 } from '../../shared/protocol.ts';
import { type OggOpusFile, opusPacketDurationUs, parseOggOpus } from './ogg-opus.ts';

export const DEMO_AUDIO_FILE = 'beep-opus-60ms.ogg';

let cached: OggOpusFile | null = null;

/** The committed audio fixture (server/demo/make-fixture.sh), parsed once per process. */
export function loadDemoAudio(): OggOpusFile {
  if (cached === null) {
    const parsed = parseOggOpus(new Uint8Array(readFileSync(join(import.meta.dirname, DEMO_AUDIO_FILE))));
    if (!parsed.ok) throw new Error(`demo fixture ${DEMO_AUDIO_FILE}: ${parsed.error}`);
    cached = parsed.value;
  }
  return cached;
}

export interface DuePacket {
  payload: Uint8Array;
  timestampUs: number;
}

/**
 * The demo's sound, looped in step with its picture: the packets that fit in the video's loop (the
 * encoder's padding packet at the end is left out, so both loops are the same length), stamped on the
 * same timeline as the video frames. A packet is due once the timeline has passed its end, as a live
 * encoder would hand it over. The OpusHead goes out as the config's description, so decoders drop
 * the encoder's look-ahead (pre-skip) and play each sample at its own time.
 */
export class DemoAudioTrack {
  readonly packetUs: number;
  private readonly packets: Uint8Array[];
  private next = 0;
  private nextAtUs = 0;

  constructor(
    private readonly file: OggOpusFile,
    loopUs: number,
  ) {
    this.packetUs = opusPacketDurationUs(file.packets[0]!)!;
    const count = Math.min(file.packets.length, Math.max(1, Math.floor(loopUs / this.packetUs)));
    this.packets = file.packets.slice(0, count);
  }

  get loopPackets(): number {
    return this.packets.length;
  }

  config(): AudioConfig {
    return {
      codec: 'opus',
      sampleRate: 48_000,
      numberOfChannels: this.file.head.channels,
      description: bytesToBase64(this.file.headBytes),
    };
  }

  /** Goes on from the packet nearest `contentUs` into the loop, its first packet stamped `atUs`. */
  seek(contentUs: number, atUs: number): void {
    this.next = Math.round(contentUs / this.packetUs) % this.packets.length;
    this.nextAtUs = atUs;
  }

  /** The packets that end at or before `untilUs`, in order, with their timestamps. */
  due(untilUs: number): DuePacket[] {
    const out: DuePacket[] = [];
    while (this.nextAtUs + this.packetUs <= untilUs) {
      out.push({ payload: this.packets[this.next]!, timestampUs: this.nextAtUs });
      this.next = (this.next + 1) % this.packets.length;
      this.nextAtUs += this.packetUs;
    }
    return out;
  }
}
