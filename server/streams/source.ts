/**
 * The small contract between the streams on this Machine and the directory that advertises them.
 * The stream relay implements it; the directory consumes it (and tests feed it a plain fake).
 */
export interface StreamSummary {
  id: string;
  title: string;
  creator: string;
  viewers: number;
  /** Milliseconds since the epoch. */
  startedAt: number;
}

export interface LocalStreamSource {
  /** The streams live on this Machine now. */
  list(): StreamSummary[];
  /**
   * Called whenever the list changes: a stream starts or ends, a title changes, or a viewer count
   * changes (the source throttles viewer-count changes to at most one call a second).
   * Returns a function that unsubscribes.
   */
  onChange(listener: () => void): () => void;
}
