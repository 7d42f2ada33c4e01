import { homeHeaders } from '../../lib/publish-logic.ts';
import {
  afterUpload,
  DEFAULT_THUMBNAIL_INTERVAL_MS,
  encodeStill,
  stillHeight,
  THUMBNAIL_WIDTH_PX,
  thumbnailPath,
} from '../../lib/thumbnail.ts';
import type { CreatedStream } from './create-stream.ts';

/**
 * Sends the stream's thumbnail to its home while it is live: a still of the canvas the encoder reads
 * (so it is what viewers see), 320 px wide, WebP or JPEG under the size cap, at once and then as often
 * as the home's answer says. Each goes with `fly-force-instance-id: <home>` (no replay: the home is the
 * only Machine that takes it) and the publish token.
 */
export class ThumbnailUploader {
  private readonly still = document.createElement('canvas');
  private timer: ReturnType<typeof setTimeout> | undefined;
  private intervalMs = DEFAULT_THUMBNAIL_INTERVAL_MS;
  private stopped = false;

  constructor(
    private readonly source: HTMLCanvasElement,
    private readonly stream: CreatedStream,
  ) {}

  start(): void {
    void this.send();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async send(): Promise<void> {
    let status: number | null = null;
    let body: unknown = null;
    try {
      const blob = await this.grab();
      if (blob !== null && !this.stopped) {
        const res = await fetch(thumbnailPath(this.stream.id), {
          method: 'PUT',
          headers: {
            ...homeHeaders(this.stream.machineId),
            authorization: `Bearer ${this.stream.publishToken}`,
            'content-type': blob.type,
          },
          body: blob,
        });
        status = res.status;
        body = await res.json().catch(() => null);
      }
    } catch {
      // The network failed: the next one goes at the usual interval.
    }
    if (this.stopped) return;
    const next = afterUpload(status, body, this.intervalMs);
    if (next.action === 'stop') return;
    if (status === 200) this.intervalMs = next.delayMs;
    this.timer = setTimeout(() => void this.send(), next.delayMs);
  }

  private grab(): Promise<Blob | null> {
    const { source, still } = this;
    still.width = THUMBNAIL_WIDTH_PX;
    still.height = stillHeight(source.width, source.height);
    const ctx = still.getContext('2d', { alpha: false });
    if (ctx === null) return Promise.resolve(null);
    ctx.drawImage(source, 0, 0, still.width, still.height);
    return encodeStill((type, quality) => new Promise((resolve) => still.toBlob(resolve, type, quality)));
  }
}
