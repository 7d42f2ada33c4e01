/// <reference lib="webworker" />
/**
 * A metronome for the capture loop. Timers in a background tab's page are throttled to once a second,
 * which would turn a live stream into a slide show when the creator switches tabs; a dedicated
 * worker's timers are not, and its messages still reach the page.
 */
let timer: ReturnType<typeof setInterval> | undefined;

self.onmessage = (event: MessageEvent<{ intervalMs: number } | 'stop'>) => {
  clearInterval(timer);
  if (event.data !== 'stop') timer = setInterval(() => self.postMessage(0), event.data.intervalMs);
};
