import fp from 'fastify-plugin';
import { nodeResolver } from '../directory/resolver.ts';
import { type EngineOptions, RelayEngine } from './engine.ts';
import { registerRelayMetrics } from './metrics.ts';
import type { RelayConfig } from './settings.ts';

export type { RelayConfig } from './settings.ts';

/** `config.relay`, plus what tests substitute. */
export interface RelayEnginePluginOptions extends RelayConfig {
  /** An in-memory DNS; default: Node's resolver (FLY_DNS_SERVER or system). */
  resolver?: EngineOptions['resolver'];
  /** Finds nats-server; tests substitute a missing one. */
  lookupBinary?: EngineOptions['lookupBinary'];
}

declare module 'fastify' {
  interface FastifyInstance {
    relayEngine: RelayEngine;
  }
}

/**
 * Adds `app.relayEngine`, the NATS engine of this Machine. Like the directory it starts only when the app
 * listens (inject tests start nothing). Register it before the features: Fastify runs onClose hooks
 * last-registered first, so nats-server stops after the stream sockets have drained.
 */
export const relayEnginePlugin = fp<RelayEnginePluginOptions>(
  async (app, opts) => {
    const { resolver, lookupBinary, ...config } = opts;
    const engine = new RelayEngine({
      config,
      machine: app.machine,
      log: app.log,
      resolver: resolver ?? nodeResolver(config.dnsServer, config.limits.dnsTimeoutMs, config.limits.dnsTries),
      ...(lookupBinary !== undefined ? { lookupBinary } : {}),
    });
    app.decorate('relayEngine', engine);
    app.addHook('onListen', async () => {
      engine.start();
    });
    // First of the preClose hooks (registered first) and not awaited: the stream sockets' drain starts at once.
    app.addHook('preClose', async () => {
      engine.beginClose();
    });
    app.addHook('onClose', async () => {
      await engine.stop();
    });
  },
  { name: 'relay-engine', fastify: '5.x', dependencies: ['machine'] },
);

/**
 * Joins the engine to the directory and the metrics, which register after it: each discovery round's
 * peers become its routes and gateways, its readiness goes into this Machine's directory snapshot, and
 * its figures onto the metrics endpoint.
 */
export const relayEngineWiringPlugin = fp(
  async (app) => {
    const { relayEngine: relay, directory } = app;
    directory.onMembership((peers) => relay.setMembers(peers));
    relay.onStatus((status) => directory.setRelay(status));
    registerRelayMetrics(app.metrics.registry, () => relay.stats());
  },
  { name: 'relay-engine-wiring', fastify: '5.x', dependencies: ['relay-engine', 'directory', 'metrics'] },
);
