import net from 'node:net';

/**
 * A minimal WebSocket viewer for load generation: raw TCP, handshake by hand, and a frame parser
 * that reads only each binary message's first 10 bytes (the replaycast frame header, for the
 * timestamp) and skips the rest without copying. A full client (ws) costs more per message than
 * the servers under test, which would make the load generator the bottleneck on 2 cores.
 */
const HEADER = 0;
const PAYLOAD = 1;
const FRAME_HEAD_BYTES = 10;
const SHARED_READ_BUFFER = Buffer.alloc(256 * 1024);

export class RawViewer {
  private readonly socket: net.Socket;
  private state = HEADER;
  private readonly hdr = Buffer.alloc(14);
  private hdrLen = 0;
  private hdrNeed = 2;
  private opcode = 0;
  private remaining = 0;
  private readonly head = Buffer.alloc(FRAME_HEAD_BYTES);
  private headLen = 0;
  closed = false;
  private upgraded = false;

  private constructor(
    socket: net.Socket,
    private readonly onFrame: (timestampUs: number) => void,
  ) {
    this.socket = socket;
  }

  static connect(port: number, path: string, onFrame: (timestampUs: number) => void): Promise<RawViewer> {
    return new Promise((resolve, reject) => {
      let viewer: RawViewer | null = null;
      let response = '';
      const socket = net.createConnection({
        host: '127.0.0.1',
        port,
        // One read buffer for every viewer in the process (each read is parsed before the next):
        // at 600 MB/s a fresh Buffer per read would make the load generator a GC benchmark.
        onread: {
          buffer: SHARED_READ_BUFFER,
          callback: (nread: number, buf: Uint8Array): boolean => {
            const chunk = Buffer.from(buf.buffer, buf.byteOffset, nread);
            if (viewer === null) return true;
            if (viewer.upgraded) {
              viewer.onData(chunk);
              return true;
            }
            response += chunk.toString('latin1');
            const end = response.indexOf('\r\n\r\n');
            if (end < 0) return true;
            const status = response.slice(0, response.indexOf('\r\n'));
            if (!status.startsWith('HTTP/1.1 101')) {
              socket.destroy();
              reject(new Error(`upgrade refused: ${status}`));
              return true;
            }
            viewer.upgraded = true;
            const rest = Buffer.from(response.slice(end + 4), 'latin1');
            if (rest.length > 0) viewer.onData(rest);
            resolve(viewer);
            return true;
          },
        },
      });
      socket.setNoDelay(true);
      viewer = new RawViewer(socket, onFrame);
      const v = viewer;
      socket.on('error', (err) => {
        v.closed = true;
        reject(err);
      });
      socket.on('close', () => (v.closed = true));
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
  }

  /** Stop reading: the kernel buffers fill, then the server's. */
  pause(): void {
    this.socket.pause();
  }

  /** A short text message (under 126 bytes), masked with a zero key as clients must mask. */
  sendText(text: string): void {
    if (this.closed) return;
    const payload = Buffer.from(text);
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = 0x81;
    frame[1] = 0x80 | payload.length;
    payload.copy(frame, 6);
    this.socket.write(frame);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === HEADER) {
        const take = Math.min(this.hdrNeed - this.hdrLen, chunk.length - i);
        chunk.copy(this.hdr, this.hdrLen, i, i + take);
        this.hdrLen += take;
        i += take;
        if (this.hdrLen < this.hdrNeed) return;
        const len7 = this.hdr[1]! & 0x7f;
        const full = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
        if (this.hdrNeed < full) {
          this.hdrNeed = full;
          continue;
        }
        this.opcode = this.hdr[0]! & 0x0f;
        this.remaining =
          len7 === 126 ? this.hdr.readUInt16BE(2) : len7 === 127 ? Number(this.hdr.readBigUInt64BE(2)) : len7;
        this.hdrLen = 0;
        this.hdrNeed = 2;
        this.headLen = 0;
        this.state = PAYLOAD;
        if (this.remaining === 0) this.finish();
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        if (this.opcode === 2 && this.headLen < FRAME_HEAD_BYTES) {
          const t = Math.min(FRAME_HEAD_BYTES - this.headLen, take);
          chunk.copy(this.head, this.headLen, i, i + t);
          this.headLen += t;
        }
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.finish();
      }
    }
  }

  private finish(): void {
    this.state = HEADER;
    if (this.opcode === 2 && this.headLen === FRAME_HEAD_BYTES) {
      this.onFrame(this.head.readUInt32BE(2) * 2 ** 32 + this.head.readUInt32BE(6));
    } else if (this.opcode === 9) {
      // Answer pings (the relay's heartbeat cuts sockets that do not): empty masked pong.
      if (!this.closed) this.socket.write(Buffer.from([0x8a, 0x80, 0, 0, 0, 0]));
    } else if (this.opcode === 8) {
      this.closed = true;
      this.socket.destroy();
    }
  }
}
