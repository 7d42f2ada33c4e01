import { type Config, ConfigError, loadConfig } from './config.ts';

/** Process entry: read config, build the app, listen, and close gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`replaycast: bad configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  // Loaded once the configuration is known to be good: the app's modules take a while to load
  // (seconds under tsx), and a bad variable should be reported at once.
  const { buildApp } = await import('./app.ts');
  const app = await buildApp(config);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal, timeoutMs: config.server.shutdownTimeoutMs }, 'shutting down');
    // Bounded drain: whatever is still open when the timer fires is cut off.
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.server.shutdownTimeoutMs + 1000);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    app.log.error({ err }, `cannot listen on ${config.server.host} port ${config.server.port}`);
    process.exit(1);
  }
}

await main();
