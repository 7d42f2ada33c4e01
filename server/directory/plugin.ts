import fp from 'fastify-plugin';
import { clientKey } from '../clients/client-key.ts';
import type { Config } from '../config.ts';
import type { LocalStreamSource } from '../streams/source.ts';
import { Directory } from './directory.ts';
import { DEFAULT_DIRECTORY_LIMITS, type DirectoryLimits } from './limits.ts';
import { type DirectoryResolver, nodeResolver } from './resolver.ts';
import { directoryRoutes } from './routes.ts';
import { SseHub } from './sse.ts';

export interface DirectoryPluginOptions {
  config: Pick<
    Config,
    'machineId' | 'region' | 'appName' | 'host' | 'internalPort' | 'internalToken' | 'discoveryIntervalMs' | 'dnsServer'
  >;
  /** This Machine's streams (the stream relay: `app.streams`). */
  source: LocalStreamSource;
  /** Tests and the benchmark substitute an in-memory DNS; default: Node's resolver (FLY_DNS_SERVER or system). */
  resolver?: DirectoryResolver;
  limits?: Partial<DirectoryLimits>;
  /** Push on change (default true); the benchmark turns it off for its pull-only baseline. */
  push?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    directory: Directory;
  }
}

/**
 * Adds `app.directory` (every live stream in the cluster), the public `/api/streams*` reads and their SSE
 * feed. The private peer API and the discovery loop start only when the public app listens (onListen),
 * so `inject` tests open no port; on close, SSE feeds end and peers get an empty snapshot first.
 */
export const directoryPlugin = fp<DirectoryPluginOptions>(
  async (app, opts) => {
    const limits = { ...DEFAULT_DIRECTORY_LIMITS, ...opts.limits };
    const { config } = opts;
    // On Fly the proxy's fly-client-ip names the client; off Fly only the socket address can be trusted.
    const onFly = config.machineId !== null;
    const hub = new SseHub(limits, app.log, (request) => {
      const flyClientIp = request.headers['fly-client-ip'];
      return clientKey(typeof flyClientIp === 'string' ? flyClientIp : undefined, request.socket.remoteAddress, onFly);
    });
    const directory = new Directory({
      machineId: config.machineId,
      region: config.region,
      appName: config.appName,
      host: config.host,
      internalPort: config.internalPort,
      internalToken: config.internalToken,
      discoveryIntervalMs: config.discoveryIntervalMs,
      source: opts.source,
      resolver: opts.resolver ?? nodeResolver(config.dnsServer, limits.dnsTimeoutMs, limits.dnsTries),
      log: app.log.child({ component: 'directory' }),
      limits,
      ...(opts.push !== undefined ? { push: opts.push } : {}),
      feedClients: () => hub.size,
    });
    directory.onViewChange((events) => hub.broadcast(events));
    app.decorate('directory', directory);
    await app.register(directoryRoutes, { directory, hub });

    app.addHook('onListen', async () => {
      try {
        await directory.start();
      } catch (err) {
        app.log.error(
          { err, host: config.host, port: config.internalPort },
          'directory: cannot start the private peer API; this Machine sees no peers',
        );
      }
    });
    app.addHook('preClose', async () => {
      hub.closeAll();
      await directory.stop();
    });
  },
  { name: 'directory', fastify: '5.x' },
);
