import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import {
  type Cluster,
  type ClusterOptions,
  DEFAULT_APP,
  DEFAULT_REGIONS,
  type NetworkInfo,
  parseRegions,
  randomSecrets,
} from './cluster-options.ts';
import { type ControlServer, startControlServer } from './control/server.ts';
import type { DnsView } from './dns/answers.ts';
import { type DnsServer, startDnsServer } from './dns/server.ts';
import { Load } from './edge/load.ts';
import { ReplayCache, type ReplayCacheRule, replayCacheRules } from './edge/replay-cache.ts';
import { type Edge, startEdge } from './edge/server.ts';
import { Stats } from './edge/stats.ts';
import { LocalflyError } from './listen.ts';
import { Deployer } from './machines/deploy.ts';
import { Fleet } from './machines/fleet.ts';
import { type KillSettings, killSettings } from './machines/kill-settings.ts';
import { WildcardBindError } from './machines/readiness.ts';
import { Reaper } from './machines/reaper.ts';
import { openNetwork } from './network/open.ts';
import type { ClusterNetwork } from './network/types.ts';
import { REGION_CODE_PATTERN } from './regions.ts';

export {
  type Cluster,
  type ClusterOptions,
  DEFAULT_APP,
  DEFAULT_REGIONS,
  MAX_MACHINES_PER_REGION,
  type NetworkInfo,
  parseRegions,
  type RegionCount,
  randomSecrets,
} from './cluster-options.ts';
export type { StatsSnapshot } from './edge/stats.ts';
export { LocalflyError } from './listen.ts';
export type { LogEvent } from './log/format.ts';
export type { MachineInfo } from './machines/fleet.ts';

const APP = /^[a-z0-9-]{1,63}$/;

/** Starts every Machine at once; on failures, the most telling one (a wildcard bind) is thrown. */
async function createAll(fleet: Fleet, regions: Array<{ region: string; count: number }>): Promise<void> {
  const failures: unknown[] = [];
  // create() takes each Machine's index before its first await, so addresses follow region order
  // whatever order the Machines finish starting in.
  const starts = regions.flatMap(({ region, count }) =>
    Array.from({ length: count }, () =>
      fleet.create(region).catch((err: unknown) => {
        failures.push(err);
        // The cluster cannot start: cut the other starts short rather than wait for their timeouts.
        void fleet.stopAll();
      }),
    ),
  );
  await Promise.all(starts);
  if (failures.length > 0) throw failures.find((f) => f instanceof WildcardBindError) ?? failures[0];
}

/**
 * Starts a local stand-in for Fly: `.internal` DNS, one edge proxy per region, a control API, and
 * the Machines (child processes in network namespaces of their own, or on their own loopback
 * addresses). Resolves when every Machine accepts connections; on any failure stops what it
 * started and rejects with a LocalflyError.
 */
/** What localfly takes from a fly.toml: its replay cache rules and how Fly stops its Machines. */
export interface FlyTomlSettings extends KillSettings {
  replayCache: ReplayCacheRule[];
}

/** Reads a fly.toml file; a LocalflyError naming the file when it is unusable. */
export function readFlyToml(path: string): FlyTomlSettings {
  try {
    const toml = parseToml(readFileSync(path, 'utf8'));
    return { replayCache: replayCacheRules(toml), ...killSettings(toml) };
  } catch (err) {
    throw new LocalflyError(`cannot use ${path}: ${(err as Error).message}`);
  }
}

/** The replay cache rules of a fly.toml file; a LocalflyError naming the file when it is unusable. */
export function readReplayCacheRules(path: string): ReplayCacheRule[] {
  return readFlyToml(path).replayCache;
}

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
  const flyToml: Partial<FlyTomlSettings> = options.flyToml === undefined ? {} : readFlyToml(options.flyToml);
  const cacheRules = options.replayCache ?? flyToml.replayCache ?? [];
  const killSignal = options.killSignal ?? flyToml.killSignal ?? 'SIGINT';

  const stats = new Stats(regions.map((r) => r.region));
  const load = new Load();
  const reaper = new Reaper();
  let network: ClusterNetwork | undefined;
  const dnsServers: DnsServer[] = [];
  let control: ControlServer | undefined;
  const edges: Edge[] = [];
  let fleet: Fleet | undefined;
  const killNow = () => fleet?.killAllNow();
  process.once('exit', killNow);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(edges.map((e) => e.close()));
      await control?.close();
      await fleet?.stopAll();
      await network?.close();
      await Promise.all(dnsServers.map((d) => d.close()));
      reaper.close();
      process.off('exit', killNow);
    })());
  const check = () => {
    if (options.signal?.aborted) throw new LocalflyError('cluster start cancelled');
  };

  try {
    check();
    network = await openNetwork({
      choice: options.network ?? 'auto',
      addressBase: options.addressBase ?? '127.0.0.2',
      dnsServer: () => dnsServers[0]!.address,
      cleanup: reaper,
      onStaleRemoved: (removed) =>
        emit({
          source: 'localfly',
          level: 'warn',
          message: `removed what ${removed.length} crashed earlier run(s) left behind: ${removed
            .flatMap((r) => [...r.namespaces, ...r.links])
            .join(' ')}`,
        }),
    });
    const dnsOptions = {
      view: (): DnsView => ({ apps: [{ name: app, machines: fleet?.list() ?? [] }], defaultRegion: primaryRegion }),
      regionOfAddress: (address: string) => fleet?.regionOfAddress(address),
    };
    dnsServers.push(await startDnsServer({ ...dnsOptions, host, port: options.dnsPort ?? 8053 }));
    if (network.machineDns !== null) dnsServers.push(await startDnsServer({ ...dnsOptions, ...network.machineDns }));
    const networkInfo: NetworkInfo = {
      mode: network.mode,
      summary: network.summary,
      machineDns: dnsServers[1]?.address ?? null,
      run: network.runId,
    };
    fleet = new Fleet({
      reaper,
      app,
      primaryRegion,
      command: options.command,
      cwd: options.cwd ?? process.cwd(),
      env: { ...randomSecrets(options.secrets ?? []), ...options.env },
      network,
      machinePort: options.machinePort ?? 8080,
      startTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs ?? flyToml.killTimeoutMs ?? 15_000,
      killSignal,
      onOutput: (m, stream, line) => emit({ source: 'machine', machine: { id: m.id, region: m.region }, stream, line }),
      onEvent: (m, level, message) =>
        emit({ source: 'localfly', level, message, machine: { id: m.id, region: m.region } }),
    });
    const f = fleet;
    const deployer = new Deployer(f, {
      killSignal,
      progress: (message, machine) =>
        emit({ source: 'localfly', level: 'info', message, ...(machine ? { machine } : {}) }),
    });
    const deploy = () => deployer.deploy() ?? Promise.reject(new LocalflyError('a deploy is already running'));
    const dns = dnsServers[0]!;
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
          replayCache: cacheRules.length > 0 ? new ReplayCache(cacheRules) : undefined,
          log: (e) => emit({ source: 'edge', ...e }),
        }),
      );
    }
    const edgeUrls = Object.fromEntries(edges.map((e) => [e.region, e.url]));
    control = await startControlServer({
      host,
      port: options.controlPort ?? 8090,
      target: {
        summary: () => ({ app, edges: edgeUrls, dns: dns.address, network: networkInfo }),
        machines: f,
        stats,
        deploy: () => deployer.deploy(),
      },
    });
    options.onListening?.({ app, edges: edgeUrls, dns: dns.address, controlUrl: control.url, network: networkInfo });
    check();
    const onAbort = () => void f.stopAll();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await createAll(f, regions);
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
      network: networkInfo,
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
      deploy,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
