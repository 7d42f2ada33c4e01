/**
 * A metronome for the capture loop. Timers in a background tab's page are throttled to once a second,
 * which would turn a live stream into a slide show when the creator switches tabs; a dedicated
 * worker's timers are not, and its messages still reach the page.
 */

// Typed by hand rather than with the webworker lib, which would leak worker globals into every file.
interface TickerScope {
  onmessage: ((event: MessageEvent<{ intervalMs: number } | 'stop'>) => void) | null;
  postMessage(message: number): void;
}
const scope = self as unknown as TickerScope;
let timer: ReturnType<typeof setInterval> | undefined;

scope.onmessage = (event) => {
  clearInterval(timer);
  if (event.data !== 'stop') timer = setInterval(() => scope.postMessage(0), event.data.intervalMs);
};
