import { type DirectoryView, diffViews, type ViewEvent } from './view.ts';

export type ViewListener = (events: ViewEvent[], view: DirectoryView) => void;

/**
 * Tells listeners (the SSE hub) what changed in the view. A burst of changes (one discovery round, one
 * push) is coalesced into one diff, computed on the next turn of the event loop. While nobody watches
 * (no SSE feed open), no view is built and nothing is diffed: a flood of pushes then costs no O(streams)
 * work per change; the next watcher starts from the view it is sent (`baseline`).
 */
export class ViewFeed {
  private readonly listeners = new Set<ViewListener>();
  private lastView: DirectoryView | null = null;
  private flushScheduled = false;

  constructor(
    private readonly view: () => DirectoryView,
    private readonly watched: () => boolean = () => true,
  ) {}

  /** Returns unsubscribe. */
  subscribe(listener: ViewListener): () => void {
    this.lastView ??= this.view();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A watcher starts from `view` (the SSE `state` event): later changes are diffed against it. */
  baseline(view: DirectoryView): void {
    this.lastView ??= view;
  }

  /** Something in the view may have changed. */
  changed(): void {
    if (this.listeners.size === 0 || !this.watched()) {
      // Nobody is told about this change, so the last view sent is no longer a baseline.
      this.lastView = null;
      return;
    }
    if (this.flushScheduled) return;
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
