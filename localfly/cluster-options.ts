import { randomBytes } from 'node:crypto';
import type { ReplayCacheRule } from './edge/replay-cache.ts';
import type { StatsSnapshot } from './edge/stats.ts';
import { LocalflyError } from './listen.ts';
import type { LogEvent } from './log/format.ts';
import type { DeployReport } from './machines/deploy.ts';
import type { MachineInfo } from './machines/fleet.ts';
import type { NetworkChoice, NetworkMode } from './network/support.ts';
import { REGION_CODE_PATTERN } from './regions.ts';

export const DEFAULT_REGIONS = 'ams:1,dfw:2';
export const DEFAULT_APP = 'replaycast-local';
export const MAX_MACHINES_PER_REGION = 50;

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

/** A fresh random value per secret name (32 bytes, hex). */
export function randomSecrets(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, randomBytes(32).toString('hex')]));
}

/** How the cluster's network turned out. */
export interface NetworkInfo {
  mode: NetworkMode;
  /** The start banner's line: the mode, why, and what it emulates or cannot. */
  summary: string;
  /** Where the Machines' resolver points (namespace mode), e.g. `[fdaa:0:3f:a2c1::3]:53`. */
  machineDns: string | null;
  /** Namespace mode: the run id every namespace and link name of this cluster carries (`localfly-<run>-<id>`, `lfly<run>`). */
  run: string | null;
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
  /**
   * `netns`: every Machine in its own network namespace (needs root); `loopback`: Machines on
   * loopback addresses of the host; `auto` (default): namespaces when this process may create them.
   */
  network?: NetworkChoice;
  /** Address of DNS, edges and control API. Default 127.0.0.1. */
  host?: string;
  /** Default 8053; 0 = a free port. */
  dnsPort?: number;
  /** First region's edge; the next regions get +1, +2... Default 8080; 0 = a free port for each edge. */
  edgePort?: number;
  /** Default 8090; 0 = a free port. */
  controlPort?: number;
  /** Loopback mode: first Machine's loopback address; the next ones count up. Default 127.0.0.2. */
  addressBase?: string;
  /** Port every Machine's app listens on (PORT). Default 8080; 0 = a free port per Machine (8080 in a namespace). */
  machinePort?: number;
  /** Bound on a Machine's start (until its port accepts connections). Default 30000. */
  startTimeoutMs?: number;
  /** Grace after the kill signal before SIGKILL when stopping a Machine. Default: fly.toml's kill_timeout, else 15000. */
  stopTimeoutMs?: number;
  /** What stopping a Machine sends. Default: fly.toml's kill_signal, else SIGINT (Fly's default). */
  killSignal?: NodeJS.Signals;
  /** A fly.toml whose `[[http_service.http_options.replay_cache]]`, `kill_signal` and `kill_timeout` localfly follows. */
  flyToml?: string;
  /** Replay cache rules given directly (they replace the fly.toml's). Default: none, no cache. */
  replayCache?: ReplayCacheRule[];
  /** Every log line: Machine output, edge replays and errors, localfly's own events. Default: dropped. */
  onLog?: (event: LogEvent) => void;
  /** Called once DNS, edges and control API listen, before any Machine starts. */
  onListening?: (info: {
    app: string;
    edges: Record<string, string>;
    dns: string;
    controlUrl: string;
    network: NetworkInfo;
  }) => void;
  /** Aborting while the cluster starts stops what was started and rejects. */
  signal?: AbortSignal;
}

export interface Cluster {
  app: string;
  primaryRegion: string;
  /** Region -> edge base URL, e.g. `{ ams: 'http://127.0.0.1:8080' }`, in region order. */
  edges: Record<string, string>;
  /** `host:port` of the DNS server on the host (`dig`, tests; FLY_DNS_SERVER in loopback mode). */
  dns: string;
  controlUrl: string;
  network: NetworkInfo;
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
  /** `fly deploy --strategy rolling`: every running Machine restarted in place, one at a time (machines/deploy.ts). */
  deploy(): Promise<DeployReport>;
  /** Stops Machines (gracefully, bounded), edges, control API and DNS, and removes the network. Safe to call twice. */
  stop(): Promise<void>;
}
