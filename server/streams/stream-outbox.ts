import { encodeControl, type ServerToViewer } from '../../shared/protocol.ts';
import type { FanOut } from './fan-out.ts';
import type { Peer } from './peer.ts';
import type { StreamTap, TapControl } from './stream-tap.ts';

const utf8 = new TextEncoder();

/**
 * Where a home's stream sends what its audience must hear: the viewers here (through the fan-out), the
 * publisher for the messages it shows too, and the tap that mirrors the stream to the Machines relaying
 * it, so relayed viewers hear exactly what the home's own do.
 */
export class StreamOutbox {
  /** Where the stream is mirrored for relays (NATS); null while nobody taps it. */
  private tap: StreamTap | null = null;

  constructor(
    private readonly fanOut: FanOut,
    private readonly publisher: () => Peer | null,
  ) {}

  setTap(tap: StreamTap | null): void {
    this.tap = tap;
  }

  /** A frame the fan-out kept: published once, whatever the number of relays (NATS copies it per region). */
  frame(data: Uint8Array): void {
    this.tap?.frame(data);
  }

  /** To the relays only: what the fan-out already told the viewers here (configs). */
  toRelays(message: TapControl): void {
    this.tap?.control(message);
  }

  /** To every viewer, here and relayed. */
  toViewers(message: ServerToViewer): void {
    this.fanOut.sendText(utf8.encode(encodeControl(message)));
    this.tap?.control(message);
  }

  /** To every viewer and the publisher (chat, viewer counts). */
  toAll(message: ServerToViewer): void {
    const bytes = utf8.encode(encodeControl(message));
    this.fanOut.sendText(bytes);
    this.publisher()?.sendText(bytes);
    this.tap?.control(message);
  }

  /** Every viewer here gets `notice` (if any) and a close; relays close theirs the same way. */
  closeViewers(notice: ServerToViewer | null, code: number, reason: string): void {
    this.fanOut.closeAll(notice === null ? null : utf8.encode(encodeControl(notice)), code, reason);
    // `gone` is a going-away close without a notice.
    this.tap?.control(notice ?? { type: 'gone' });
  }
}
