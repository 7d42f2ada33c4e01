import { randomBytes } from 'node:crypto';
import { type ControlServer, startControlServer } from './control/server.ts';
import { type DnsServer, startDnsServer } from './dns/server.ts';
import { Load } from './edge/load.ts';
import { type Edge, startEdge } from './edge/server.ts';
import { Stats, type StatsSnapshot } from './edge/stats.ts';
import { LocalflyError } from './listen.ts';
import type { LogEvent } from './log/format.ts';
import { Fleet, type MachineInfo } from './machines/fleet.ts';
import { Reaper } from './machines/reaper.ts';
import { REGION_CODE_PATTERN } from './regions.ts';

export type { StatsSnapshot } from './edge/stats.ts';
export { LocalflyError } from './listen.ts';
export type { LogEvent } from './log/format.ts';
export type { MachineInfo } from './machines/fleet.ts';

export const DEFAULT_REGIONS = 'ams:1,dfw:2';
export const DEFAULT_APP = 'replaycast-local';
export const MAX_MACHINES_PER_REGION = 50;
const APP = /^[a-z0-9-]{1,63}$/;

/** A fresh random value per secret name (32 bytes, hex). */
export function randomSecrets(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, randomBytes(32).toString('hex')]));
}

export interface RegionCount {
  region: string;
  count: number;
}

/** `ams:1,dfw:2` (a bare `ams` means one Machine; `syd:0` gives an edge with no Machine). */
export function parseRegions(text: string): RegionCount[] {
  const out: RegionCount[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^([a-z0-9-]+)(?::(\d+))?$/.exec(part);
    if (m === null || !REGION_CODE_PATTERN.test(m[1]!))
      throw new LocalflyError(`bad region ${JSON.stringify(part)} in --regions; expected e.g. ams:1,dfw:2`);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count > MAX_MACHINES_PER_REGION)
      throw new LocalflyError(`at most ${MAX_MACHINES_PER_REGION} Machines per region, got ${count} in ${m[1]}`);
    if (out.some((r) => r.region === m[1])) throw new LocalflyError(`region ${m[1]} is listed twice in --regions`);
    out.push({ region: m[1]!, count });
  }
  return out;
}

export interface ClusterOptions {
  /** Argv run in every Machine, e.g. `['node', '--import', 'tsx', 'server/main.ts']`. */
  command: string[];
  /** `ams:1,dfw:2` or a list; the first region is the primary region. Default `ams:1,dfw:2`. */
  regions?: string | RegionCount[];
  /** FLY_APP_NAME; default `replaycast-local`. */
  app?: string;
  /** Working directory of the Machines; its node_modules/.bin is put on their PATH. Default: process.cwd(). */
  cwd?: string;
  /** Extra environment for every Machine. */
  env?: Record<string, string>;
  /**
   * Names of app secrets (`fly secrets set`): each gets a random value, the same in every Machine and
   * new for each cluster, so nothing secret is written down. `env` wins for a name given in both.
   */
  secrets?: readonly string[];
  /** Address of DNS, edges and control API. Default 127.0.0.1. */
  host?: string;
  /** Default 8053; 0 = a free port. */
  dnsPort?: number;
  /** First region's edge; the next regions get +1, +2... Default 8080; 0 = a free port for each edge. */
  edgePort?: number;
  /** Default 8090; 0 = a free port. */
  controlPort?: number;
  /** First Machine's loopback address; the next ones count up. Default 127.0.0.2. */
  addressBase?: string;
  /** Port every Machine's app listens on (PORT). Default 8080; 0 = a free port per Machine. */
  machinePort?: number;
  /** Bound on a Machine's start (until its port accepts connections). Default 30000. */
  startTimeoutMs?: number;
  /** Grace after SIGINT before SIGKILL when stopping a Machine. Default 15000. */
  stopTimeoutMs?: number;
  /** Every log line: Machine output, edge replays and errors, localfly's own events. Default: dropped. */
  onLog?: (event: LogEvent) => void;
  /** Called once DNS, edges and control API listen, before any Machine starts. */
  onListening?: (info: { app: string; edges: Record<string, string>; dns: string; controlUrl: string }) => void;
  /** Aborting while the cluster starts stops what was started and rejects. */
  signal?: AbortSignal;
}

export interface Cluster {
  app: string;
  primaryRegion: string;
  /** Region -> edge base URL, e.g. `{ ams: 'http://127.0.0.1:8080' }`, in region order. */
  edges: Record<string, string>;
  /** `host:port` of the DNS server (what Machines get as FLY_DNS_SERVER). */
  dns: string;
  controlUrl: string;
  /** Every Machine (not destroyed ones), in creation order. */
  machines(): MachineInfo[];
  stats(): StatsSnapshot;
  resetStats(): void;
  addMachine(region: string): Promise<MachineInfo>;
  startMachine(id: string): Promise<MachineInfo>;
  stopMachine(id: string): Promise<MachineInfo>;
  killMachine(id: string): Promise<MachineInfo>;
  restartMachine(id: string): Promise<MachineInfo>;
  destroyMachine(id: string): Promise<MachineInfo>;
  /** Stops Machines (gracefully, bounded), edges, control API and DNS. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a local stand-in for Fly: `.internal` DNS, one edge proxy per region, a control API, and
 * the Machines (child processes on their own loopback addresses). Resolves when every Machine
 * accepts connections; on any failure stops what it started and rejects with a LocalflyError.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (options.command.length === 0) throw new LocalflyError('no command to run in the Machines (give it after --)');
  const regions =
    typeof options.regions === 'string' || options.regions === undefined
      ? parseRegions(options.regions ?? DEFAULT_REGIONS)
      : options.regions;
  if (regions.length === 0) throw new LocalflyError('no regions');
  const app = options.app ?? DEFAULT_APP;
  if (!APP.test(app))
    throw new LocalflyError(`app name must be lowercase letters, digits and -, got ${JSON.stringify(app)}`);
  const host = options.host ?? '127.0.0.1';
  const primaryRegion = regions[0]!.region;
  const emit = options.onLog ?? (() => undefined);
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  const stats = new Stats(regions.map((r) => r.region));
  const load = new Load();
  let dns: DnsServer | undefined;
  let control: ControlServer | undefined;
  const edges: Edge[] = [];
  let fleet: Fleet | undefined;
  let reaper: Reaper | undefined;
  const killNow = () => fleet?.killAllNow();
  process.once('exit', killNow);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(edges.map((e) => e.close()));
      await control?.close();
      await fleet?.stopAll();
      await dns?.close();
      reaper?.close();
      process.off('exit', killNow);
    })());
  const check = () => {
    if (options.signal?.aborted) throw new LocalflyError('cluster start cancelled');
  };

  try {
    check();
    dns = await startDnsServer({
      host,
      port: options.dnsPort ?? 8053,
      view: () => ({ apps: [{ name: app, machines: fleet?.list() ?? [] }], defaultRegion: primaryRegion }),
      regionOfAddress: (address) => fleet?.regionOfAddress(address),
    });
    reaper = new Reaper();
    fleet = new Fleet({
      reaper,
      app,
      primaryRegion,
      command: options.command,
      cwd: options.cwd ?? process.cwd(),
      env: { ...randomSecrets(options.secrets ?? []), ...options.env },
      addressBase: options.addressBase ?? '127.0.0.2',
      machinePort: options.machinePort ?? 8080,
      dnsServer: dns.address,
      startTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
      onOutput: (m, stream, line) => emit({ source: 'machine', machine: { id: m.id, region: m.region }, stream, line }),
      onEvent: (m, level, message) =>
        emit({ source: 'localfly', level, message, machine: { id: m.id, region: m.region } }),
    });
    const f = fleet;
    const upstreams = { app, machines: () => f.list(), start: (id: string) => f.start(id) };
    const edgePort = options.edgePort ?? 8080;
    for (const [i, { region }] of regions.entries()) {
      check();
      edges.push(
        await startEdge({
          region,
          host,
          port: edgePort === 0 ? 0 : edgePort + i,
          upstreams,
          load,
          stats,
          autoStartTimeoutMs: startTimeoutMs,
          log: (e) => emit({ source: 'edge', ...e }),
        }),
      );
    }
    const edgeUrls = Object.fromEntries(edges.map((e) => [e.region, e.url]));
    control = await startControlServer({
      host,
      port: options.controlPort ?? 8090,
      target: { summary: () => ({ app, edges: edgeUrls, dns: dns!.address }), machines: f, stats },
    });
    options.onListening?.({ app, edges: edgeUrls, dns: dns.address, controlUrl: control.url });
    check();
    const onAbort = () => void f.stopAll();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // All at once: create() takes each Machine's address before its first await, so addresses
      // follow region order whatever order the Machines finish starting in.
      await Promise.all(regions.flatMap(({ region, count }) => Array.from({ length: count }, () => f.create(region))));
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    check();
    const ctl = control;
    return {
      app,
      primaryRegion,
      edges: edgeUrls,
      dns: dns.address,
      controlUrl: ctl.url,
      machines: () => f.list(),
      stats: () => stats.snapshot(),
      resetStats: () => stats.reset(),
      addMachine: (region) => {
        if (!REGION_CODE_PATTERN.test(region))
          return Promise.reject(new LocalflyError(`bad region ${JSON.stringify(region)}`));
        return f.create(region);
      },
      startMachine: (id) => f.start(id),
      stopMachine: (id) => f.stop(id),
      killMachine: (id) => f.kill(id),
      restartMachine: (id) => f.restart(id),
      destroyMachine: (id) => f.destroy(id),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
