import { type DirectoryView, diffViews, type ViewEvent } from './view.ts';

export type ViewListener = (events: ViewEvent[], view: DirectoryView) => void;

/**
 * Tells listeners (the SSE hub) what changed in the view. A burst of changes (one discovery round, one
 * push) is coalesced into one diff, computed on the next turn of the event loop.
 */
export class ViewFeed {
  private readonly listeners = new Set<ViewListener>();
  private lastView: DirectoryView | null = null;
  private flushScheduled = false;

  constructor(private readonly view: () => DirectoryView) {}

  /** Returns unsubscribe. */
  subscribe(listener: ViewListener): () => void {
    this.lastView ??= this.view();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Something in the view may have changed. */
  changed(): void {
    if (this.flushScheduled || this.listeners.size === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const next = this.view();
      const prev = this.lastView ?? next;
      this.lastView = next;
      const events = diffViews(prev, next);
      if (events.length === 0) return;
      for (const listener of this.listeners) listener(events, next);
    });
  }

  clear(): void {
    this.listeners.clear();
  }
}
