import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { nodeResolver } from '../directory/resolver.ts';
import { type EngineConfig, type EngineOptions, RelayEngine } from './engine.ts';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './limits.ts';
import { registerRelayMetrics } from './metrics.ts';

export interface RelayEnginePluginOptions {
  config: EngineConfig & Pick<Config, 'dnsServer'>;
  limits?: Partial<RelayLimits>;
  /** Tests substitute an in-memory DNS or a missing binary. */
  resolver?: EngineOptions['resolver'];
  lookupBinary?: EngineOptions['lookupBinary'];
}

declare module 'fastify' {
  interface FastifyInstance {
    relayEngine: RelayEngine;
  }
}

/**
 * Adds `app.relayEngine`, the NATS engine of this Machine. Like the directory it starts only when the
 * app listens (inject tests start nothing). Register it before the other features: Fastify runs
 * onClose hooks last-registered first, so nats-server is the last thing to stop. It needs no other
 * plugin; when the directory and metrics are there it takes its membership from the directory, puts
 * its readiness in the directory snapshot, and adds its figures to the metrics.
 */
export const relayEnginePlugin = fp<RelayEnginePluginOptions>(
  async (app, opts) => {
    const limits = { ...DEFAULT_RELAY_LIMITS, ...opts.limits };
    const engine = new RelayEngine({
      config: opts.config,
      log: app.log,
      limits,
      resolver: opts.resolver ?? nodeResolver(opts.config.dnsServer, limits.dnsTimeoutMs, limits.dnsTries),
      ...(opts.lookupBinary !== undefined ? { lookupBinary: opts.lookupBinary } : {}),
    });
    app.decorate('relayEngine', engine);

    app.addHook('onReady', async () => {
      if (app.hasDecorator('metrics')) registerRelayMetrics(app.metrics.registry, () => engine.stats());
    });
    app.addHook('onListen', async () => {
      if (app.hasDecorator('directory')) {
        const directory = app.directory;
        directory.onMembership((peers) => engine.setMembers(peers));
        engine.onStatus((status) => directory.setRelay(status));
      }
      engine.start();
    });
    app.addHook('onClose', async () => {
      await engine.stop();
    });
  },
  { name: 'relay-engine', fastify: '5.x' },
);
