import type { FastifyBaseLogger } from 'fastify';
import type { DirectoryResolver } from '../directory/resolver.ts';
import { natsServerConfig, type ServerSettings } from './config-text.ts';
import type { RelayLimits } from './limits.ts';
import { isAuthFailure, RepeatFilter } from './log-lines.ts';
import { type ListenPort, NatsSupervisor, type ServerState } from './supervisor.ts';
import { buildTopology, overdueRegions, planChange, type RegionAddresses, type Topology } from './topology.ts';

export interface EmbeddedOptions {
  bin: string;
  settings: ServerSettings;
  ports: ListenPort[];
  appName: string | null;
  /** Already tagged `component=nats`. */
  log: FastifyBaseLogger;
  limits: RelayLimits;
  resolver: Pick<DirectoryResolver, 'resolve6'>;
  now: () => number;
  onState: (state: ServerState) => void;
}

/**
 * The embedded nats-server of this Machine and its topology: regions from the membership, each
 * region's addresses from `<region>.<app>.internal`, then start, reload or restart as planChange says.
 * Also turns nats-server's authentication errors into one clear line about RELAY_SECRET.
 */
export class EmbeddedServer {
  readonly settings: ServerSettings;
  private readonly opts: EmbeddedOptions;
  private readonly supervisor: NatsSupervisor;
  private readonly authWarnings: RepeatFilter;
  private readonly unconnectedSince = new Map<string, number>();
  private readonly addresses = new Map<string, string[]>();
  private running: Topology | null = null;
  private pending: { regions: string[]; connected: ReadonlySet<string> | null } | null = null;
  private applying: Promise<void> | null = null;
  private stopped = false;

  constructor(opts: EmbeddedOptions) {
    this.opts = opts;
    this.settings = opts.settings;
    this.authWarnings = new RepeatFilter(opts.limits.logRepeatWindowMs);
    const secret = opts.settings.cluster?.secret;
    this.supervisor = new NatsSupervisor({
      bin: opts.bin,
      log: opts.log,
      secrets: secret === undefined ? [] : [secret],
      ports: opts.ports,
      limits: opts.limits,
      now: opts.now,
      onState: opts.onState,
      onLine: (line) => {
        if (line.level !== 'error' || !isAuthFailure(line.msg)) return;
        if (!this.authWarnings.admit('auth', opts.now()).emit) return;
        opts.log.warn(
          { detail: line.msg },
          'nats: a route or gateway was refused for its credentials: RELAY_SECRET differs between this Machine and a peer; they stay apart until it matches',
        );
      },
    });
  }

  get state(): ServerState {
    return this.supervisor.state;
  }

  get pid(): number | null {
    return this.supervisor.pid;
  }

  get restarts(): number {
    return this.supervisor.restarts;
  }

  get reloads(): number {
    return this.supervisor.reloads;
  }

  /**
   * Brings the server in line with the other Machines' regions (the first call starts it).
   * `connected`: regions with a gateway connection now (from monitoring; null when unknown, and then no
   * region counts as unconnected). One at a time; calls made meanwhile collapse into one more with the
   * latest arguments.
   */
  apply(regions: readonly string[], connected: ReadonlySet<string> | null): void {
    this.pending = { regions: [...regions], connected };
    if (this.applying !== null || this.stopped) return;
    this.applying = (async () => {
      while (this.pending !== null && !this.stopped) {
        const next = this.pending;
        this.pending = null;
        try {
          await this.applyOnce(next.regions, next.connected);
        } catch (err) {
          this.opts.log.error({ err }, 'nats: applying membership failed');
        }
      }
      this.applying = null;
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.applying;
    await this.supervisor.stop();
  }

  private async applyOnce(regions: readonly string[], connected: ReadonlySet<string> | null): Promise<void> {
    const settings = this.settings;
    const log = this.opts.log;
    const cluster = settings.cluster;
    const desired = cluster === null ? { routes: [], gateways: [] } : await this.topology(cluster, regions);
    if (this.stopped) return;
    if (this.running === null) {
      this.running = desired;
      await this.supervisor.start(natsServerConfig(settings, desired));
      return;
    }
    const wanted = desired.gateways.map((g) => g.region);
    const { gatewayGraceMs } = this.opts.limits;
    const overdue =
      connected === null
        ? []
        : overdueRegions(this.unconnectedSince, wanted, connected, this.opts.now(), gatewayGraceMs);
    const plan = planChange(this.running, desired, overdue);
    if (plan.action === 'none') return;
    this.running = plan.write;
    if (plan.action === 'reload') {
      log.info({ routes: plan.write.routes.length }, 'nats: routes changed; reloading nats-server');
      await this.supervisor.update(natsServerConfig(settings, plan.write), 'reload');
    } else {
      this.unconnectedSince.clear();
      log.info({ reason: plan.reason }, 'nats: gateways changed; restarting nats-server');
      await this.supervisor.update(natsServerConfig(settings, plan.write), 'restart');
    }
  }

  /** Every region's addresses (`<region>.<app>.internal`); a failed lookup keeps that region's last answer. */
  private async topology(
    cluster: NonNullable<ServerSettings['cluster']>,
    others: readonly string[],
  ): Promise<Topology> {
    const regions = [...new Set([cluster.region, ...others])];
    const found: RegionAddresses[] = await Promise.all(
      regions.map(async (region) => {
        try {
          const addresses = await this.opts.resolver.resolve6(`${region}.${this.opts.appName}.internal`);
          this.addresses.set(region, addresses);
          return { region, addresses };
        } catch (err) {
          this.opts.log.debug(
            { region, err: (err as Error).message },
            'nats: region lookup failed; keeping its last addresses',
          );
          return { region, addresses: this.addresses.get(region) ?? [] };
        }
      }),
    );
    for (const region of [...this.addresses.keys()]) if (!regions.includes(region)) this.addresses.delete(region);
    return buildTopology(cluster.region, cluster.host, found);
  }
}
