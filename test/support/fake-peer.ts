import type { Peer } from '../../server/streams/peer.ts';
import {
  decodeFrame,
  type Frame,
  parseServerToPublisher,
  parseServerToViewer,
  type ServerToPublisher,
  type ServerToViewer,
} from '../../shared/protocol.ts';

const utf8 = new TextDecoder();

/** An in-memory Peer for tests: records what it was sent; bufferedAmount is set by the test. */
export class FakePeer implements Peer {
  bufferedAmount = 0;
  texts: string[] = [];
  binaries: Uint8Array[] = [];
  /** Every message in order: 'text' or 'binary'. */
  order: Array<'text' | 'binary'> = [];
  closed: { code: number; reason: string } | null = null;

  sendText(data: string | Uint8Array): void {
    if (this.closed) throw new Error('send after close');
    this.texts.push(typeof data === 'string' ? data : utf8.decode(data));
    this.order.push('text');
  }

  sendBinary(data: Uint8Array): void {
    if (this.closed) throw new Error('send after close');
    this.binaries.push(data);
    this.order.push('binary');
  }

  close(code: number, reason: string): void {
    if (this.closed === null) this.closed = { code, reason };
  }

  viewerMessages(): ServerToViewer[] {
    return this.texts.map((t) => {
      const r = parseServerToViewer(t);
      if (!r.ok) throw new Error(`unparseable server message ${t}: ${r.error}`);
      return r.value;
    });
  }

  publisherMessages(): ServerToPublisher[] {
    return this.texts.map((t) => {
      const r = parseServerToPublisher(t);
      if (!r.ok) throw new Error(`unparseable server message ${t}: ${r.error}`);
      return r.value;
    });
  }

  frames(): Frame[] {
    return this.binaries.map((b) => {
      const r = decodeFrame(b);
      if (!r.ok) throw new Error(r.error);
      return r.value;
    });
  }
}
