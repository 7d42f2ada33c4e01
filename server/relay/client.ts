import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';
import { redactUrl } from './addresses.ts';
import type { RelayLimits } from './limits.ts';

export interface ClientOptions {
  /** `nats://host:port` URLs. */
  servers: string[];
  /** Connection name shown in the server's /connz. */
  name: string;
  /**
   * Embedded: the app talks to its own server only, so readiness says something about this Machine.
   * External: follow the cluster's advertised servers.
   */
  pinned: boolean;
  log: FastifyBaseLogger;
  limits: Pick<RelayLimits, 'clientReconnectWaitMs' | 'clientConnectTimeoutMs' | 'stopTimeoutMs'>;
  onChange: (connected: boolean) => void;
}

/**
 * The app's one connection to NATS. The first connect is retried until it succeeds (the embedded
 * server may still be starting); after that the client library reconnects by itself, forever.
 * Logs once per outage, not per attempt.
 */
export class RelayClient {
  private readonly opts: ClientOptions;
  private nc: NatsConnection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private failing = false;
  connected = false;

  constructor(opts: ClientOptions) {
    this.opts = opts;
  }

  /** The live connection, or null before the first connect and after stop. */
  get connection(): NatsConnection | null {
    return this.nc;
  }

  start(): void {
    this.loop ??= this.connectLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const nc = this.nc;
    this.nc = null;
    // Drain: subscriptions end after what is already queued, and pending publishes are flushed; bounded,
    // since a connection waiting to reconnect to a server that is gone would drain forever.
    if (nc !== null && !nc.isClosed()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.opts.limits.stopTimeoutMs);
      });
      await Promise.race([nc.drain().catch(() => undefined), timeout]);
      clearTimeout(timer);
      if (!nc.isClosed()) await nc.close();
    }
    await this.loop;
    this.set(false);
  }

  private set(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.opts.onChange(connected);
  }

  private async connectLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        // Loaded on first use, after the app listens: the library costs start-up time (a Machine
        // auto-started by a request must answer within fly-replay's timeout).
        const { connect } = await import('@nats-io/transport-node');
        const nc = await connect({
          servers: this.opts.servers,
          name: this.opts.name,
          timeout: this.opts.limits.clientConnectTimeoutMs,
          reconnectTimeWait: this.opts.limits.clientReconnectWaitMs,
          maxReconnectAttempts: -1,
          ignoreClusterUpdates: this.opts.pinned,
          noRandomize: this.opts.pinned,
        });
        if (this.stopped) {
          await nc.close();
          return;
        }
        this.nc = nc;
        this.failing = false;
        this.opts.log.info({ server: redactUrl(nc.getServer()) }, 'nats: client connected');
        this.set(true);
        await this.watch(nc);
        return;
      } catch (err) {
        if (!this.failing) {
          this.failing = true;
          this.opts.log.info(
            { servers: this.opts.servers.map(redactUrl), err: (err as Error).message },
            'nats: client cannot connect yet; retrying',
          );
        }
        await new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, this.opts.limits.clientReconnectWaitMs);
        });
      }
    }
  }

  /** Follows the connection's status until it closes (only stop() closes it: reconnects never give up). */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.opts.log.warn({ server: redactUrl(status.server) }, 'nats: client disconnected; reconnecting');
        this.set(false);
      } else if (status.type === 'reconnect') {
        this.opts.log.info({ server: redactUrl(status.server) }, 'nats: client reconnected');
        this.set(true);
      } else if (status.type === 'close') {
        break;
      }
    }
    this.set(false);
  }
}
