import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { demoPlugin } from './demo/plugin.ts';
import { directoryPlugin } from './directory/plugin.ts';
import { errorServerOptions, errorsPlugin } from './errors/plugin.ts';
import { loggerOptions } from './logger.ts';
import { machinePlugin } from './machine.ts';
import { metricsPlugin } from './metrics/plugin.ts';
import { movesPlugin } from './moves/plugin.ts';
import { relayEnginePlugin, relayEngineWiringPlugin } from './relay/plugin.ts';
import { relayedPlugin } from './relayed/plugin.ts';
import { healthRoutes } from './routes/health.ts';
import { whoamiRoutes } from './routes/whoami.ts';
import { routingPlugin } from './routing/plugin.ts';
import { securityHeadersPlugin } from './security-headers.ts';
import { shutdownPlugin } from './shutdown.ts';
import { streamsPlugin } from './streams/plugin.ts';
import { thumbnailsPlugin } from './thumbnails/plugin.ts';
import { thumbnailSharingPlugin } from './thumbnails/sharing-plugin.ts';
import { webPlugin } from './web/plugin.ts';

/** How often Node looks for requests older than REQUEST_TIMEOUT_MS: a timed-out request is cut within this. */
export const REQUEST_TIMEOUT_CHECK_MS = 1000;

export interface BuildOptions {
  /** Register the routing hook (benchmarks build the app without it to measure its cost). */
  routing?: boolean;
  /** pino-pretty output; defaults to whether stdout is a terminal. */
  prettyLogs?: boolean;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write(line: string): void };
}

/**
 * Builds the whole public app without listening, so tests can `inject` or listen on port 0. Each plugin
 * gets its own config group and declares the plugins it reads decorators from; registering one before
 * its dependencies fails at start-up.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logStream
      ? { ...loggerOptions(config, false), stream: options.logStream }
      : loggerOptions(config, options.prettyLogs),
    // Long-lived sockets and streams: let close() end idle keep-alive connections at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A client that trickles its request (a byte every few seconds) or goes silent must not hold a
    // connection for ever: Node answers 408 and closes once the request is older than this.
    requestTimeout: config.server.requestTimeoutMs,
    connectionTimeout: config.server.connectionTimeoutMs,
    http: {
      headersTimeout: config.server.requestTimeoutMs,
      // Node checks request ages this often (its default, 30 s, would let a 30 s limit run to 60 s).
      connectionsCheckingInterval: REQUEST_TIMEOUT_CHECK_MS,
    },
    ...errorServerOptions,
  });

  // First: routes capture the error handler and the validator when they are added.
  await app.register(errorsPlugin);
  await app.register(securityHeadersPlugin);
  // Before any plugin with close hooks: its clock for SHUTDOWN_TIMEOUT_MS starts when the close does.
  await app.register(shutdownPlugin, { shutdownTimeoutMs: config.server.shutdownTimeoutMs });
  await app.register(cookie);
  await app.register(machinePlugin, config.machine);
  // The NATS engine before the features: onClose hooks run last-registered first, so nats-server stops
  // after the stream sockets have drained.
  await app.register(relayEnginePlugin, config.relay);
  // The relay owns the WebSocket server (@fastify/websocket): its close is the relay's 1001 drain.
  await app.register(streamsPlugin, config.streams);
  // The home's thumbnails, before the demo streams that store theirs there.
  await app.register(thumbnailsPlugin, config.thumbnails);
  // Before the directory: its onListen waits for a first discovery round, the demos need not.
  await app.register(demoPlugin, config.demo);
  await app.register(directoryPlugin, config.directory);
  // After the directory: a stream moves by its listing, and peers' snapshots hand streams over.
  await app.register(movesPlugin, config.moves);
  // After the directory, whose snapshot and peer API it extends.
  await app.register(thumbnailSharingPlugin, config.thumbnails);
  // Private Prometheus endpoint; opens only when the app listens.
  await app.register(metricsPlugin, config.metrics);
  // Discovery's peers to the engine, its readiness into the directory snapshot, its figures to metrics.
  await app.register(relayEngineWiringPlugin);
  // Regional relays: streams homed here mirrored on NATS, streams homed elsewhere relayed to viewers here.
  await app.register(relayedPlugin, config.relayed);
  // Before web, whose assets live in an encapsulated context that copies the app's hooks when it
  // registers. Every other plugin adds its routes to the app itself, which the hook reaches wherever
  // it was registered.
  if (options.routing !== false) await app.register(routingPlugin, config.routing);

  await app.register(healthRoutes);
  await app.register(whoamiRoutes);
  // Last: it owns the 404 handler and the page fallbacks, so every API route above wins.
  await app.register(webPlugin, config.web);

  return app;
}
