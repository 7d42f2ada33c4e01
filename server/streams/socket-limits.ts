/** Ping every socket this often; one that has not answered the previous ping is cut. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** The WebSocket server refuses larger messages (1009) before they reach the relay; MAX_FRAME_BYTES is at most this. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
