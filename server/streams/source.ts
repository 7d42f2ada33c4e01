/**
 * The small contract between the streams on this Machine and the directory that advertises them.
 * The stream relay implements it; the directory consumes it (and tests feed it a plain fake).
 */
export interface StreamSummary {
  id: string;
  title: string;
  creator: string;
  /** Viewers everywhere: on the home and on the Machines relaying it. */
  viewers: number;
  /** Of those, the viewers on the home itself; absent when every viewer is there. */
  homeViewers?: number;
  /** Milliseconds since the epoch. */
  startedAt: number;
  /** Moves between Machines so far: of two Machines listing one id, the higher epoch is its home. */
  epoch: number;
}

/** Whether this Machine holds a stream: `moving` while it waits for the stream's new home to be known. */
export type HoldState = 'live' | 'moving' | null;

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
