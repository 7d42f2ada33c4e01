import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { directoryPlugin } from './directory/plugin.ts';
import { loggerOptions } from './logger.ts';
import { metricsPlugin } from './metrics/plugin.ts';
import { relayEnginePlugin } from './relay/plugin.ts';
import { healthRoutes } from './routes/health.ts';
import { whoamiRoutes } from './routes/whoami.ts';
import { routingPlugin } from './routing/plugin.ts';
import { streamsPlugin } from './streams/plugin.ts';
import { webPlugin } from './web/plugin.ts';

export interface BuildOptions {
  /** Register the routing hook (benchmarks build the app without it to measure its cost). */
  routing?: boolean;
  /** pino-pretty output; defaults to whether stdout is a terminal. */
  prettyLogs?: boolean;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write(line: string): void };
  /** Overrides how the routing hook asks whether a Machine still exists (tests). */
  machineKnown?: (id: string) => boolean | undefined;
}

/** Builds the whole public app without listening, so tests can `inject` or listen on port 0. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logStream
      ? { ...loggerOptions(config, false), stream: options.logStream }
      : loggerOptions(config, options.prettyLogs),
    // Long-lived sockets and streams: let close() end idle keep-alive connections at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  // NATS engine first: onClose hooks run last-registered first, so nats-server stops after everything else.
  await app.register(relayEnginePlugin, { config });
  // Private Prometheus endpoint; opens only when the app listens.
  await app.register(metricsPlugin, { host: config.host, port: config.metricsPort });
  if (options.routing !== false) {
    await app.register(routingPlugin, {
      machineId: config.machineId,
      anyMachinePaths: config.anyMachinePaths,
      maxReplayBodyBytes: config.maxReplayBodyBytes,
      replayTimeoutMs: config.replayTimeoutMs,
      // Late-bound: the directory registers below and can say a cookie's Machine is gone.
      machineKnown: (id) =>
        options.machineKnown
          ? options.machineKnown(id)
          : app.hasDecorator('directory')
            ? app.directory.machineKnown(id)
            : undefined,
      onDecision: (decision) => app.metrics.recordDecision(decision),
    });
  }

  await app.register(healthRoutes);
  await app.register(whoamiRoutes, {
    whoami: { machineId: config.machineId, region: config.region, app: config.appName },
  });
  // Feature plugins (streams, directory, client) register below.
  await app.register(streamsPlugin, { config });
  await app.register(directoryPlugin, { config, source: app.streams });

  // Last: it owns the 404 handler and the page fallbacks, so every API route above wins.
  await app.register(webPlugin, { machineId: config.machineId, region: config.region });

  return app;
}
