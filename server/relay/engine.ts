import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { DirectoryResolver } from '../directory/resolver.ts';
import { bindHosts, hostPort } from './addresses.ts';
import { RelayClient } from './client.ts';
import { natsServerConfig, type ServerSettings } from './config-text.ts';
import type { RelayLimits } from './limits.ts';
import { isAuthFailure, RepeatFilter } from './log-lines.ts';
import { type BinaryLookup, chooseMode, findNatsServer, modeLine, type RelayMode } from './mode.ts';
import { fetchFigures, type NatsFigures } from './monitor.ts';
import { type RelayStatus, relayStatus } from './readiness.ts';
import { formatShape, observedShape } from './shape.ts';
import { type ListenPort, NatsSupervisor, type ServerState } from './supervisor.ts';
import { buildTopology, overdueRegions, planChange, type RegionAddresses, type Topology } from './topology.ts';

export type EngineConfig = Pick<
  Config,
  | 'machineId'
  | 'region'
  | 'appName'
  | 'host'
  | 'privateIp'
  | 'natsUrl'
  | 'natsServerBin'
  | 'relaySecret'
  | 'natsClientPort'
  | 'natsClusterPort'
  | 'natsGatewayPort'
  | 'natsMonitorPort'
  | 'natsMaxPayloadBytes'
  | 'natsWriteDeadlineMs'
>;

/** Another Machine, as the directory's discovery lists it. */
export interface Member {
  id: string;
  region: string;
}

export interface EngineOptions {
  config: EngineConfig;
  log: FastifyBaseLogger;
  limits: RelayLimits;
  /** `<region>.<app>.internal` AAAA lookups (FLY_DNS_SERVER or the system's). */
  resolver: Pick<DirectoryResolver, 'resolve6'>;
  /** Finds nats-server (tests substitute a missing one). */
  lookupBinary?: () => BinaryLookup;
  now?: () => number;
}

/** Counters and state for the metrics endpoint. */
export interface RelayStats {
  mode: RelayMode['kind'];
  status: RelayStatus;
  serverState: ServerState | null;
  serverPid: number | null;
  serverRestarts: number;
  serverReloads: number;
  clientConnected: boolean;
  /** From the last monitoring poll; null when there is none (external, off, or the poll failed). */
  figures: NatsFigures | null;
  /** `ams(1) <-> dfw(2), 3 servers`, as this server sees it. */
  shape: string | null;
  members: number;
}

type StatusListener = (status: RelayStatus) => void;

/**
 * The NATS engine of one Machine: picks its mode once, runs the embedded nats-server (config from the
 * environment and the directory's membership, resolved to IP literals), keeps the app's client
 * connection, polls the monitoring endpoint, and says whether this Machine can take relay work.
 */
export class RelayEngine {
  readonly mode: RelayMode;
  private readonly opts: EngineOptions;
  private readonly now: () => number;
  private readonly settings: ServerSettings | null;
  private readonly supervisor: NatsSupervisor | null;
  private readonly client: RelayClient | null;
  private readonly listeners = new Set<StatusListener>();
  private readonly authWarnings: RepeatFilter;
  private readonly unconnectedSince = new Map<string, number>();
  private readonly addresses = new Map<string, string[]>();
  private members: Member[] | null = null;
  private running: Topology | null = null;
  private figures: NatsFigures | null = null;
  private current: RelayStatus = 'off';
  private shape: { logged: string | null; candidate: string | null; sinceMs: number } = {
    logged: null,
    candidate: null,
    sinceMs: 0,
  };
  private monitorTimer: NodeJS.Timeout | null = null;
  private firstStartTimer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private started = false;
  private stopped = false;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.authWarnings = new RepeatFilter(opts.limits.logRepeatWindowMs);
    const c = opts.config;
    const hosts = bindHosts(c.host, c.privateIp);
    const onFly = c.machineId !== null && c.region !== null && c.appName !== null;
    this.mode = chooseMode(
      {
        natsUrl: c.natsUrl,
        natsServerBin: c.natsServerBin,
        onFly,
        relaySecret: c.relaySecret,
        peerHost: hosts.peer,
      },
      opts.lookupBinary ?? (() => findNatsServer(c.natsServerBin, process.env.PATH)),
    );
    const log = opts.log.child({ component: 'nats' });
    if (this.mode.kind === 'embedded') {
      const cluster =
        this.mode.clustered && hosts.peer !== null && c.region !== null && c.relaySecret !== null
          ? {
              region: c.region,
              host: hosts.peer,
              clusterPort: c.natsClusterPort,
              gatewayPort: c.natsGatewayPort,
              secret: c.relaySecret,
            }
          : null;
      this.settings = {
        name: c.machineId ?? 'local',
        localHost: hosts.local,
        clientPort: c.natsClientPort,
        monitorPort: c.natsMonitorPort,
        maxPayloadBytes: c.natsMaxPayloadBytes,
        writeDeadlineMs: c.natsWriteDeadlineMs,
        cluster,
      };
      const ports: ListenPort[] = [
        { host: hosts.local, port: c.natsClientPort, variable: 'NATS_CLIENT_PORT' },
        { host: hosts.local, port: c.natsMonitorPort, variable: 'NATS_MONITOR_PORT' },
      ];
      if (cluster !== null) {
        ports.push(
          { host: cluster.host, port: cluster.clusterPort, variable: 'NATS_CLUSTER_PORT' },
          { host: cluster.host, port: cluster.gatewayPort, variable: 'NATS_GATEWAY_PORT' },
        );
      }
      this.supervisor = new NatsSupervisor({
        bin: this.mode.bin,
        log,
        secrets: c.relaySecret === null ? [] : [c.relaySecret],
        ports,
        limits: opts.limits,
        now: this.now,
        onState: (state) => {
          // Figures of a server that is gone say nothing about the next one.
          if (state !== 'running') this.figures = null;
          // The client dials only a server that runs: whatever else holds the port is never connected to.
          if (state === 'running' && !this.stopped) this.client?.start();
          this.evaluate();
        },
        onLine: (line) => {
          if (line.level !== 'error' || !isAuthFailure(line.msg)) return;
          if (!this.authWarnings.admit('auth', this.now()).emit) return;
          log.warn(
            { detail: line.msg },
            'nats: a route or gateway was refused for its credentials: RELAY_SECRET differs between this Machine and a peer; they stay apart until it matches',
          );
        },
      });
    } else {
      this.settings = null;
      this.supervisor = null;
    }
    this.client =
      this.mode.kind === 'off'
        ? null
        : new RelayClient({
            servers:
              this.mode.kind === 'external'
                ? this.mode.url.split(',')
                : [`nats://${hostPort(this.settings!.localHost, this.settings!.clientPort)}`],
            name: `replaycast ${c.machineId ?? 'local'}`,
            pinned: this.mode.kind === 'embedded',
            log,
            limits: opts.limits,
            onChange: () => this.evaluate(),
          });
  }

  // ---- reads -------------------------------------------------------------------------------------

  status(): RelayStatus {
    return this.current;
  }

  /** The app's NATS connection (the regional relays publish and subscribe on it); null while there is none. */
  connection(): NatsConnection | null {
    return this.client?.connection ?? null;
  }

  /** Called on every readiness change (and once at once with the current one). Returns unsubscribe. */
  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  stats(): RelayStats {
    return {
      mode: this.mode.kind,
      status: this.current,
      serverState: this.supervisor?.state ?? null,
      serverPid: this.supervisor?.pid ?? null,
      serverRestarts: this.supervisor?.restarts ?? 0,
      serverReloads: this.supervisor?.reloads ?? 0,
      clientConnected: this.client?.connected ?? false,
      figures: this.figures,
      shape: this.shape.logged,
      members: this.members?.length ?? 0,
    };
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /** Logs the mode and starts what it needs. A clustered server waits for the first membership (bounded). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.opts.log.info({ component: 'nats', mode: this.mode.kind }, modeLine(this.mode));
    this.evaluate();
    if (this.mode.kind === 'off') return;
    if (this.supervisor === null) {
      this.client!.start();
      return;
    }
    if (this.settings?.cluster === null || this.members !== null) this.refresh();
    else {
      this.firstStartTimer = setTimeout(() => {
        this.members ??= [];
        this.refresh();
      }, this.opts.limits.firstMembershipWaitMs);
    }
    this.scheduleMonitor();
  }

  /** The client first (it drains), then the server: nats-server is the last thing to stop. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.monitorTimer !== null) clearTimeout(this.monitorTimer);
    if (this.firstStartTimer !== null) clearTimeout(this.firstStartTimer);
    await this.client?.stop();
    await this.refreshing;
    await this.supervisor?.stop();
    this.listeners.clear();
  }

  // ---- membership --------------------------------------------------------------------------------

  /** The other Machines, from each discovery round of the directory. */
  setMembers(members: readonly Member[]): void {
    this.members = members.map(({ id, region }) => ({ id, region }));
    if (this.firstStartTimer !== null) {
      clearTimeout(this.firstStartTimer);
      this.firstStartTimer = null;
    }
    if (this.started && this.supervisor !== null) this.refresh();
    this.evaluate();
  }

  /** One refresh at a time; calls meanwhile collapse into one more. */
  private refresh(): void {
    if (this.refreshing !== null) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = this.refreshOnce()
      .catch((err: unknown) => this.opts.log.error({ err, component: 'nats' }, 'nats: applying membership failed'))
      .finally(() => {
        this.refreshing = null;
        if (this.refreshAgain && !this.stopped) {
          this.refreshAgain = false;
          this.refresh();
        }
      });
  }

  private async refreshOnce(): Promise<void> {
    const settings = this.settings!;
    const supervisor = this.supervisor!;
    const cluster = settings.cluster;
    const desired = cluster === null ? { routes: [], gateways: [] } : await this.desiredTopology(cluster);
    if (this.stopped) return;
    if (this.running === null) {
      this.running = desired;
      await supervisor.start(natsServerConfig(settings, desired));
      return;
    }
    const connected = new Set([...(this.figures?.gatewaysOut ?? []), ...Object.keys(this.figures?.gatewaysIn ?? {})]);
    const wanted = desired.gateways.map((g) => g.region);
    const overdue = overdueRegions(
      this.unconnectedSince,
      wanted,
      connected,
      this.now(),
      this.opts.limits.gatewayGraceMs,
    );
    const plan = planChange(this.running, desired, overdue);
    if (plan.action === 'none') return;
    this.running = plan.write;
    const log = this.opts.log;
    if (plan.action === 'reload') {
      log.info({ component: 'nats', routes: plan.write.routes.length }, 'nats: routes changed; reloading nats-server');
      await supervisor.update(natsServerConfig(settings, plan.write), 'reload');
    } else {
      this.unconnectedSince.clear();
      log.info({ component: 'nats', reason: plan.reason }, 'nats: gateways changed; restarting nats-server');
      await supervisor.update(natsServerConfig(settings, plan.write), 'restart');
    }
  }

  /** Every region's addresses (`<region>.<app>.internal`); a failed lookup keeps that region's last answer. */
  private async desiredTopology(cluster: NonNullable<ServerSettings['cluster']>): Promise<Topology> {
    const app = this.opts.config.appName!;
    const regions = [...new Set([cluster.region, ...(this.members ?? []).map((m) => m.region)])];
    const found: RegionAddresses[] = await Promise.all(
      regions.map(async (region) => {
        try {
          const addresses = await this.opts.resolver.resolve6(`${region}.${app}.internal`);
          this.addresses.set(region, addresses);
          return { region, addresses };
        } catch (err) {
          this.opts.log.debug(
            { component: 'nats', region, err: (err as Error).message },
            'nats: region lookup failed; keeping its last addresses',
          );
          return { region, addresses: this.addresses.get(region) ?? [] };
        }
      }),
    );
    for (const region of [...this.addresses.keys()]) if (!regions.includes(region)) this.addresses.delete(region);
    return buildTopology(cluster.region, cluster.host, found);
  }

  // ---- monitoring and readiness ------------------------------------------------------------------

  private scheduleMonitor(): void {
    if (this.stopped) return;
    this.monitorTimer = setTimeout(() => void this.poll(), this.opts.limits.monitorIntervalMs);
  }

  private async poll(): Promise<void> {
    const s = this.settings!;
    if (this.supervisor?.state === 'running') {
      try {
        this.figures = await fetchFigures(s.localHost, s.monitorPort, this.opts.limits.monitorTimeoutMs);
      } catch {
        this.figures = null;
      }
    } else {
      this.figures = null;
    }
    if (this.stopped) return;
    this.trackShape();
    this.evaluate();
    this.scheduleMonitor();
  }

  /** Logs the supercluster's shape once it has held for a moment (formation passes through partial shapes). */
  private trackShape(): void {
    const region = this.settings?.cluster?.region;
    if (region === undefined || this.figures === null) return;
    const shape = formatShape(observedShape(region, this.figures));
    const now = this.now();
    if (shape !== this.shape.candidate) this.shape = { ...this.shape, candidate: shape, sinceMs: now };
    if (shape === this.shape.logged || now - this.shape.sinceMs < this.opts.limits.shapeSettleMs) return;
    this.shape.logged = shape;
    this.opts.log.info({ component: 'nats', shape }, `nats: ${shape}`);
  }

  private evaluate(): void {
    if (!this.started || this.stopped) return;
    const { status, reason } = relayStatus({
      mode: this.mode.kind,
      serverRunning: this.supervisor?.state === 'running',
      clientConnected: this.client?.connected ?? false,
      expectedPeers: this.settings?.cluster ? (this.members?.length ?? 0) : 0,
      links: this.figures === null ? 0 : this.figures.routes + this.figures.gatewaysOut.length,
    });
    if (status === this.current) return;
    const before = this.current;
    this.current = status;
    // Start-up passes through "down" while the server starts: say only "ready" and "no longer ready".
    if (status === 'ok') this.opts.log.info({ component: 'nats', relay: status }, 'relay: ready');
    else if (before === 'ok') {
      this.opts.log.warn({ component: 'nats', relay: status, reason }, `relay: not ready (${reason})`);
    }
    for (const listener of this.listeners) listener(status);
  }
}
