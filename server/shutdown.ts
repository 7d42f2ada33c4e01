import fp from 'fastify-plugin';

/** The shutdown bound's settings: from `config.server`. */
export interface ShutdownOptions {
  /** SHUTDOWN_TIMEOUT_MS: from the start of `app.close()` to its end. */
  shutdownTimeoutMs: number;
}

/**
 * Left at the end of SHUTDOWN_TIMEOUT_MS for what comes before the close starts (the signal reaching the
 * event loop) and after the cut (the listeners, nats-server, the last hooks, exiting), at most a quarter of
 * it: 150-400 ms here, but a CI runner building an image meanwhile once needed 1.1 s.
 */
export const SHUTDOWN_FINAL_STEPS_MS = 2000;

/** When requests still in flight are cut, counted from the start of the close. */
export function requestCutAfterMs(shutdownTimeoutMs: number): number {
  return Math.max(0, shutdownTimeoutMs - Math.min(SHUTDOWN_FINAL_STEPS_MS, shutdownTimeoutMs / 4));
}

/**
 * Bounds `app.close()`: the relay drains its sockets first (half of SHUTDOWN_TIMEOUT_MS at most), then the
 * HTTP server stops and waits for requests in flight. A client can hold one open for ever (a body that
 * trickles in a byte at a time), so whatever is still connected at `requestCutAfterMs` is closed
 * (`closeAllConnections`), and the close ends within SHUTDOWN_TIMEOUT_MS. Register it before the plugins
 * that add close hooks, so its clock starts first.
 */
export const shutdownPlugin = fp<ShutdownOptions>(
  async (app, opts) => {
    let timer: NodeJS.Timeout | undefined;
    app.addHook('preClose', async () => {
      timer = setTimeout(() => {
        app.log.info({ afterMs: requestCutAfterMs(opts.shutdownTimeoutMs) }, 'closing connections still open');
        app.server.closeAllConnections();
      }, requestCutAfterMs(opts.shutdownTimeoutMs));
      timer.unref();
    });
    app.addHook('onClose', async () => {
      clearTimeout(timer);
    });
  },
  { name: 'shutdown', fastify: '5.x' },
);
