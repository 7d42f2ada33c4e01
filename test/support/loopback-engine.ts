import { loadConfig } from '../../server/config.ts';
import { type EngineOptions, RelayEngine } from '../../server/relay/engine.ts';
import { DEFAULT_RELAY_LIMITS } from '../../server/relay/limits.ts';

/** `.internal` answers from a table (region -> loopback addresses), as Fly's DNS gives 6PN addresses. */
export function tableResolver(table: ReadonlyMap<string, readonly string[]>) {
  return {
    resolve6: async (name: string) => {
      const found = table.get(name.split('.')[0]!);
      if (found === undefined) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return found.map((a) => `::ffff:${a}`);
    },
  };
}

/** One Machine's RelayEngine (a real embedded nats-server) on a loopback address, not started. */
export function loopbackEngine(opts: {
  id: string;
  region: string;
  address: string;
  secret: string;
  appName: string;
  log: EngineOptions['log'];
  resolver: ReturnType<typeof tableResolver>;
  monitorIntervalMs: number;
}): RelayEngine {
  return new RelayEngine({
    config: {
      ...loadConfig({}).relay,
      host: opts.address,
      privateIp: opts.address,
      secret: opts.secret,
      limits: { ...DEFAULT_RELAY_LIMITS, monitorIntervalMs: opts.monitorIntervalMs, firstMembershipWaitMs: 100 },
    },
    machine: { id: opts.id, region: opts.region, appName: opts.appName },
    log: opts.log,
    resolver: opts.resolver,
  });
}
