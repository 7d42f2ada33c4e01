import fp from 'fastify-plugin';
import { clientKey } from '../clients/client-key.ts';
import { Directory } from './directory.ts';
import type { DirectoryLimits } from './limits.ts';
import { type DirectoryResolver, nodeResolver } from './resolver.ts';
import { directoryRoutes } from './routes.ts';
import { SseHub } from './sse.ts';

/** The directory's settings: `config.directory`. */
export interface DirectoryConfig {
  /** HOST: the private peer API binds to it too, and outgoing peer requests leave from it. */
  host: string;
  /** The private peer API's port (INTERNAL_PORT), never the public one. */
  internalPort: number;
  /** `host:port` of a DNS server for `.internal` names (FLY_DNS_SERVER, localfly); null = system resolver. */
  dnsServer: string | null;
  /** Bearer token peers may present instead of a 6PN address (INTERNAL_TOKEN). */
  internalToken: string | null;
  discoveryIntervalMs: number;
  limits: DirectoryLimits;
}

/** `config.directory`, plus what tests and the benchmarks substitute. */
export interface DirectoryPluginOptions extends DirectoryConfig {
  /** An in-memory DNS; default: Node's resolver (FLY_DNS_SERVER or system). */
  resolver?: DirectoryResolver;
  /** Push on change (default true); the benchmark turns it off for its pull-only baseline. */
  push?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    directory: Directory;
  }
}

/**
 * Adds `app.directory` (every live stream in the cluster, fed this Machine's own by `app.streams`), the
 * public `/api/streams*` reads and their SSE feed. The private peer API and the discovery loop start
 * only when the public app listens (onListen), so `inject` tests open no port; on close, SSE feeds end
 * and peers get an empty snapshot first.
 */
export const directoryPlugin = fp<DirectoryPluginOptions>(
  async (app, opts) => {
    const { dnsServer, resolver, ...settings } = opts;
    const { limits } = settings;
    // On Fly the proxy's fly-client-ip names the client; off Fly only the socket address can be trusted.
    const onFly = app.machine.id !== null;
    const hub = new SseHub(limits, app.log, (request) => {
      const flyClientIp = request.headers['fly-client-ip'];
      return clientKey(typeof flyClientIp === 'string' ? flyClientIp : undefined, request.socket.remoteAddress, onFly);
    });
    const directory = new Directory({
      ...settings,
      machineId: app.machine.id,
      region: app.machine.region,
      appName: app.machine.appName,
      source: app.streams,
      resolver: resolver ?? nodeResolver(dnsServer, limits.dnsTimeoutMs, limits.dnsTries),
      log: app.log.child({ component: 'directory' }),
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
          { err, host: opts.host, port: opts.internalPort },
          'directory: cannot start the private peer API; this Machine sees no peers',
        );
      }
    });
    app.addHook('preClose', async () => {
      hub.closeAll();
      await directory.stop();
    });
  },
  { name: 'directory', fastify: '5.x', dependencies: ['machine', 'streams'] },
);
