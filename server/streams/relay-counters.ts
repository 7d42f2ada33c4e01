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
