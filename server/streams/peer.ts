import type { FastifyBaseLogger } from 'fastify';
import type { GopLimits } from './gop-cache.ts';
import type { FlowLimits } from './viewer-policy.ts';

/**
 * One end of a socket as the relay sees it. The plugin adapts a `ws` WebSocket; the demo
 * publisher and the tests use in-process fakes, so every stream goes through the same code.
 */
export interface Peer {
  /** A text message; a Uint8Array is already-encoded UTF-8 (broadcasts are encoded once). */
  sendText(data: string | Uint8Array): void;
  /** A binary message; the same buffer is handed to every viewer, never copied per viewer. */
  sendBinary(data: Uint8Array): void;
  /** Bytes queued in user space and not yet handed to the kernel (ws.bufferedAmount). */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

export interface RelayLimits extends FlowLimits, GopLimits {
  maxFrameBytes: number;
  keyframeRequestIntervalMs: number;
  viewerCountIntervalMs: number;
  publishGraceMs: number;
  publishStartTimeoutMs: number;
}

/** Counters for metrics (read through app.streams.stats()). */
export interface RelayCounters {
  framesReceived: number;
  framesSent: number;
  framesSkipped: number;
  bytesSent: number;
  chatMessages: number;
  keyframeRequests: number;
  slowViewersClosed: number;
  /** Times a viewer went over its limit, by which measure (bufferedAmount or ack lag). */
  viewersBehindBacklog: number;
  viewersBehindLag: number;
}

export const newCounters = (): RelayCounters => ({
  framesReceived: 0,
  framesSent: 0,
  framesSkipped: 0,
  bytesSent: 0,
  chatMessages: 0,
  keyframeRequests: 0,
  slowViewersClosed: 0,
  viewersBehindBacklog: 0,
  viewersBehindLag: 0,
});

export type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'debug' | 'error'>;
