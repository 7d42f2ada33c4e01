/**
 * Limits of sharing thumbnails between Machines, each with its unit in the name. These are defaults; the
 * plugins take overrides (tests shorten them). The sizes, rates and the cache's bound are config
 * (`THUMBNAIL_*`, README).
 */
export interface ThumbnailLimits {
  /** Whole-request bound on one thumbnail fetch from a peer (connect + response). */
  peerTimeoutMs: number;
  /** Thumbnail fetches in flight at once, to all peers together. */
  maxConcurrentFetches: number;
  /** Failed fetches of one version before it is given up (the next version is fetched as usual). */
  maxFetchAttempts: number;
  /** Delay before a failed fetch is tried again. */
  retryDelayMs: number;
  /**
   * This Machine's snapshot names its streams' newer thumbnails at most this often: the first at once,
   * those that follow within the interval together at its end (each would otherwise be one snapshot
   * push to every peer). A stream's first thumbnail is named at once.
   */
  announceIntervalMs: number;
}

export const DEFAULT_THUMBNAIL_LIMITS: ThumbnailLimits = {
  peerTimeoutMs: 2000,
  maxConcurrentFetches: 4,
  maxFetchAttempts: 3,
  retryDelayMs: 1000,
  announceIntervalMs: 1000,
};
