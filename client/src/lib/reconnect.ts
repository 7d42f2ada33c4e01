import type { BackoffPolicy } from '../../../shared/backoff.ts';

/** Reconnect schedule of the pages' sockets and the directory feed (delays from shared/backoff.ts). */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 10_000 };
