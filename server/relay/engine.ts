import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';
import type { DirectoryResolver } from '../directory/resolver.ts';
import type { MachineIdentity } from '../machine.ts';
import { bindHosts, hostPort } from './addresses.ts';
import { RelayClient } from './client.ts';
import { EmbeddedServer } from './embedded.ts';
import { type BinaryLookup, chooseMode, findNatsServer, modeLine, type RelayMode } from './mode.ts';
import { fetchFigures, type NatsFigures } from './monitor.ts';
import { type RelayStatus, relayStatus } from './readiness.ts';
import { embeddedSettings, type RelayConfig } from './settings.ts';
import { formatShape, observedShape, ShapeLog } from './shape.ts';
import type { ServerState } from './supervisor.ts';

/** Another Machine, as the directory's discovery lists it. */
export interface Member {
  id: string;
  region: string;
}

export interface EngineOptions {
  config: RelayConfig;
  machine: MachineIdentity;
  log: FastifyBaseLogger;
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
  private readonly server: EmbeddedServer | null;
  private readonly client: RelayClient | null;
  private readonly listeners = new Set<StatusListener>();
  private members: Member[] | null = null;
  private figures: NatsFigures | null = null;
  private current: RelayStatus;
  private readonly shapeLog: ShapeLog;
  private monitorTimer: NodeJS.Timeout | null = null;
  private firstStartTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stopped = false;
  /** Set when the app begins to close: what was given up then (see beginClose). */
  private closing: Promise<void> | null = null;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    const { config: c, machine } = opts;
    this.shapeLog = new ShapeLog(c.limits.shapeSettleMs);
    const hosts = bindHosts(c.host, c.privateIp);
    const onFly = machine.id !== null && machine.region !== null && machine.appName !== null;
    this.mode = chooseMode(
      { natsUrl: c.natsUrl, natsServerBin: c.serverBin, onFly, relaySecret: c.secret, peerHost: hosts.peer },
      opts.lookupBinary ?? (() => findNatsServer(c.serverBin, process.env.PATH)),
    );
    // Until it has started, an engine that will run is not ready yet.
    this.current = this.mode.kind === 'off' ? 'off' : 'down';
    const log = opts.log.child({ component: 'nats' });
    if (this.mode.kind === 'embedded') {
      const { settings, ports } = embeddedSettings(c, machine, hosts, this.mode.clustered);
      this.server = new EmbeddedServer({
        bin: this.mode.bin,
        settings,
        ports,
        appName: machine.appName,
        log,
        limits: c.limits,
        resolver: opts.resolver,
        now: this.now,
        onState: (state) => {
          // Figures of a server that is gone say nothing about the next one.
          if (state !== 'running') this.figures = null;
          // The client dials only a server that runs: whatever else holds the port is never connected to.
          if (state === 'running' && !this.stopped && this.closing === null) this.client?.start();
          this.evaluate();
        },
      });
    } else {
      this.server = null;
    }
    this.client =
      this.mode.kind === 'off'
        ? null
        : new RelayClient({
            servers:
              this.mode.kind === 'external'
                ? this.mode.url.split(',')
                : [`nats://${hostPort(this.server!.settings.localHost, this.server!.settings.clientPort)}`],
            name: `replaycast ${machine.id ?? 'local'}`,
            pinned: this.mode.kind === 'embedded',
            log,
            limits: c.limits,
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
      serverState: this.server?.state ?? null,
      serverPid: this.server?.pid ?? null,
      serverRestarts: this.server?.restarts ?? 0,
      serverReloads: this.server?.reloads ?? 0,
      clientConnected: this.client?.connected ?? false,
      figures: this.figures,
      shape: this.shapeLog.last,
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
    if (this.server === null) {
      this.client!.start();
      return;
    }
    if (this.server.settings.cluster === null || this.members !== null) this.refresh();
    else {
      this.firstStartTimer = setTimeout(() => {
        this.members ??= [];
        this.refresh();
      }, this.opts.config.limits.firstMembershipWaitMs);
    }
    this.scheduleMonitor();
  }

  /**
   * The app has begun to close; its stream sockets drain before stop(). What is up stays up until then;
   * what is not up yet is given up now, since a retry or a first connect during the close would only make
   * it longer (a connect in flight holds the client's stop for up to its timeout).
   */
  beginClose(): void {
    if (!this.started || this.stopped || this.closing !== null) return;
    if (this.firstStartTimer !== null) clearTimeout(this.firstStartTimer);
    this.firstStartTimer = null;
    const serverDown = this.server !== null && this.server.state !== 'running';
    const clientDown = this.client !== null && !this.client.connected;
    this.closing = Promise.all([serverDown && this.server!.stop(), clientDown && this.client!.stop()]).then(() => {});
  }

  /** The client first (it drains), then the server: nats-server is the last thing to stop. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.monitorTimer !== null) clearTimeout(this.monitorTimer);
    if (this.firstStartTimer !== null) clearTimeout(this.firstStartTimer);
    await this.closing;
    await this.client?.stop();
    await this.server?.stop();
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
    // While the app closes, a route or gateway change is not worth a reload or a restart.
    if (this.started && this.server !== null && this.closing === null) this.refresh();
    this.evaluate();
  }

  private refresh(): void {
    const f = this.figures;
    const connected = f === null ? null : new Set([...f.gatewaysOut, ...Object.keys(f.gatewaysIn)]);
    this.server?.apply(
      (this.members ?? []).map((m) => m.region),
      connected,
    );
  }

  // ---- monitoring and readiness ------------------------------------------------------------------

  private scheduleMonitor(): void {
    if (this.stopped) return;
    this.monitorTimer = setTimeout(() => void this.poll(), this.opts.config.limits.monitorIntervalMs);
  }

  private async poll(): Promise<void> {
    const s = this.server!.settings;
    if (this.server?.state === 'running') {
      try {
        this.figures = await fetchFigures(s.localHost, s.monitorPort, this.opts.config.limits.monitorTimeoutMs);
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
    const region = this.server?.settings.cluster?.region;
    if (region === undefined || this.figures === null) return;
    const shape = this.shapeLog.update(formatShape(observedShape(region, this.figures)), this.now());
    if (shape !== null) this.opts.log.info({ component: 'nats', shape }, `nats: ${shape}`);
  }

  private evaluate(): void {
    if (!this.started || this.stopped) return;
    const { status, reason } = relayStatus({
      mode: this.mode.kind,
      serverRunning: this.server?.state === 'running',
      clientConnected: this.client?.connected ?? false,
      expectedPeers: this.server?.settings.cluster ? (this.members?.length ?? 0) : 0,
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
