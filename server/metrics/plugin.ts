import type { AddressInfo } from 'node:net';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import type { Decision } from '../routing/decide.ts';
import { AppMetrics } from './metrics.ts';
import { type MetricsServer, startMetricsServer } from './server.ts';

/** Where Fly scrapes (fly.toml [metrics] path). */
export const METRICS_PATH = '/metrics';
/** The log message that announces the endpoint, with `port` and `address`. */
export const METRICS_LISTENING_MSG = 'metrics endpoint listening';

/** The metrics endpoint's settings: `config.metrics`. */
export interface MetricsOptions {
  /** HOST: the endpoint listens on the same interfaces as the app (:: on Fly, for 6PN). */
  host: string;
  /** METRICS_PORT (fly.toml [metrics] port). */
  port: number;
}

export interface MetricsHandle {
  readonly registry: Registry;
  /** Counts one routing decision (the routing hook calls it for every request). */
  recordDecision(decision: Decision): void;
  /** After app.listen(): resolves with the endpoint's address, or null when it could not listen. */
  endpoint(): Promise<AddressInfo | null>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: MetricsHandle;
  }
}

/**
 * Prometheus metrics on a private listener of their own. It opens only when the app itself listens
 * (onListen), so apps built for inject tests open no port, and closes with the app. Stream and
 * directory figures are read at scrape time from `app.streams.stats()` / `app.directory.stats()`;
 * routing decisions are counted as the routing hook reports them (`app.metrics.recordDecision`).
 */
export const metricsPlugin = fp<MetricsOptions>(
  async (app, opts) => {
    const path = METRICS_PATH;
    const { streams, directory } = app;
    const metrics = new AppMetrics({
      streams: () => streams.stats(),
      directory: () => directory.stats(),
      onSourceError: (source, err) => app.log.error({ err, source }, 'metrics source failed; its figures are skipped'),
    });

    let resolveEndpoint!: (address: AddressInfo | null) => void;
    const endpoint = new Promise<AddressInfo | null>((resolve) => {
      resolveEndpoint = resolve;
    });
    let server: MetricsServer | undefined;
    let starting: Promise<void> | undefined;
    let closing = false;

    app.decorate('metrics', {
      registry: metrics.registry,
      recordDecision: (decision: Decision) => metrics.recordDecision(decision),
      endpoint: () => endpoint,
    } satisfies MetricsHandle);

    app.addHook('onListen', async () => {
      if (closing) return;
      starting = (async () => {
        metrics.enableProcessMetrics();
        try {
          server = await startMetricsServer({
            host: opts.host,
            port: opts.port,
            path,
            registry: metrics.registry,
            onScrapeError: (err) => app.log.error({ err }, 'collecting metrics failed'),
          });
          app.log.info({ address: server.address.address, port: server.address.port, path }, METRICS_LISTENING_MSG);
          resolveEndpoint(server.address);
        } catch (err) {
          // Metrics are an aid, not the service: a taken port must not stop a Machine from serving its streams.
          app.log.error(
            { err, host: opts.host, port: opts.port },
            'metrics endpoint could not listen; serving without it',
          );
          resolveEndpoint(null);
        }
      })();
      await starting;
    });

    app.addHook('onClose', async () => {
      closing = true;
      await starting;
      await server?.close();
    });
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['streams', 'directory'] },
);
