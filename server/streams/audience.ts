import { crowdLate } from './viewer-policy.ts';
import type { ViewerSession } from './viewer-session.ts';

/** A stream's viewers, and the questions asked of all of them at once. */
export class Audience implements Iterable<ViewerSession> {
  private readonly viewers = new Set<ViewerSession>();

  get size(): number {
    return this.viewers.size;
  }

  add(viewer: ViewerSession): void {
    this.viewers.add(viewer);
  }

  /** True when the viewer was still in the audience. */
  delete(viewer: ViewerSession): boolean {
    return this.viewers.delete(viewer);
  }

  [Symbol.iterator](): Iterator<ViewerSession> {
    return this.viewers.values();
  }

  /** Bytes queued in user space for these viewers (shared frames are counted per viewer). */
  backlogBytes(): number {
    let total = 0;
    for (const viewer of this.viewers) total += viewer.peer.bufferedAmount;
    return total;
  }

  /** One message to every viewer (the same bytes, encoded once). */
  sendText(bytes: Uint8Array): void {
    for (const viewer of this.viewers) viewer.peer.sendText(bytes);
  }

  /** Every viewer gets `bytes` (when given), then a close (over a copy: a closed viewer leaves the audience). */
  closeAll(bytes: Uint8Array | null, code: number, reason: string): void {
    for (const viewer of [...this.viewers]) {
      if (bytes !== null) viewer.peer.sendText(bytes);
      viewer.close(code, reason);
    }
  }

  /** One pass over the audience: are most viewers not yet behind over the lag limit at once? */
  crowdLate(maxLagMs: number): boolean {
    let within = 0;
    let over = 0;
    for (const viewer of this.viewers) {
      if (viewer.behind) continue;
      if (viewer.overLag(maxLagMs)) over++;
      else within++;
    }
    return crowdLate(within, over);
  }
}
