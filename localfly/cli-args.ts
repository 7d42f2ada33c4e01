import type { ClusterOptions } from './cluster.ts';
import { NETWORK_CHOICES } from './network/support.ts';

export const USAGE = `usage: localfly [options] -- <command ...>
       localfly deploy [--control-port N]

The second form rehearses \`fly deploy --strategy rolling\` on a running cluster: every Machine is
stopped with the kill signal and started again with the same id, one at a time (its progress is in
the cluster's log); it prints what happened to each Machine.

Runs <command> in every Machine of a local Fly-like cluster: .internal DNS, one edge proxy per
region, a control API. Each option can also come from the environment variable shown.

  --regions ams:1,dfw:2   Machines per region; the first region is primary   LOCALFLY_REGIONS
  --app NAME              FLY_APP_NAME (default replaycast-local)             LOCALFLY_APP
  --network MODE          netns, loopback or auto (default auto)              LOCALFLY_NETWORK
  --dns-port N            DNS on 127.0.0.1, UDP and TCP (default 8053)        LOCALFLY_DNS_PORT
  --edge-port N           first region's edge; next regions +1 (default 8080) LOCALFLY_EDGE_PORT
  --control-port N        control API (default 8090)                          LOCALFLY_CONTROL_PORT
  --address-base IP       loopback mode: first Machine address (127.0.0.2)     LOCALFLY_ADDRESS_BASE
  --machine-port N        PORT of every Machine (default 8080; 0 = free)      LOCALFLY_MACHINE_PORT
  --start-timeout-ms N    bound on a Machine start (default 30000)            LOCALFLY_START_TIMEOUT_MS
  --stop-timeout-ms N     kill signal grace before SIGKILL (default: fly.toml's LOCALFLY_STOP_TIMEOUT_MS
                          kill_timeout, else 15000)
  --fly-toml PATH         follow this fly.toml's replay_cache, kill_signal    LOCALFLY_FLY_TOML
                          and kill_timeout (default none: SIGINT, no cache)
  --env KEY=VALUE         extra environment for every Machine (repeatable)
  --secret NAME           an app secret: random, the same in every Machine (repeatable)
  --no-color, --color     colours (default: when stdout is a terminal, unless NO_COLOR is set)
  -h, --help              this text

Ports of 0 pick free ports. netns puts every Machine in a network namespace of its own (needs
root): apps bind 0.0.0.0 or :: and resolve .internal names with the system resolver, as on Fly.
loopback puts Machines on 127.0.0.x of the host: apps must bind HOST and ask FLY_DNS_SERVER. auto
takes netns when it can. Example: localfly --regions ams:1,dfw:2 -- node server.js`;

export type CliOptions = Omit<ClusterOptions, 'onLog' | 'onListening' | 'signal' | 'cwd' | 'replayCache'>;
export type CliParse =
  | { kind: 'help' }
  | { kind: 'error'; message: string }
  | { kind: 'run'; options: CliOptions; color: boolean }
  /** `localfly deploy`: a rolling restart of the cluster whose control API is at `controlUrl`. */
  | { kind: 'deploy'; controlUrl: string };

/** Where `localfly deploy` finds the cluster: its control API on the host's loopback. */
export const DEFAULT_CONTROL_PORT = 8090;

function parseDeployArgs(argv: readonly string[], env: Env): CliParse {
  let port: number | undefined;
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '-h' || arg === '--help') return { kind: 'help' };
      const [flag, inline] = arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
      if (flag !== '--control-port') throw new Error(`unknown option for deploy: ${flag}`);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error('--control-port needs a value');
      port = convert(flag, 'port', value) as number;
    }
    const fromEnv = env.LOCALFLY_CONTROL_PORT;
    if (port === undefined && fromEnv !== undefined && fromEnv !== '')
      port = convert('LOCALFLY_CONTROL_PORT', 'port', fromEnv) as number;
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  return { kind: 'deploy', controlUrl: `http://127.0.0.1:${port ?? DEFAULT_CONTROL_PORT}` };
}

type Env = Record<string, string | undefined>;

type Kind = 'text' | 'port' | 'ms' | 'network';

const VALUED: Record<string, { key: keyof CliOptions; env: string; kind: Kind }> = {
  '--regions': { key: 'regions', env: 'LOCALFLY_REGIONS', kind: 'text' },
  '--app': { key: 'app', env: 'LOCALFLY_APP', kind: 'text' },
  '--network': { key: 'network', env: 'LOCALFLY_NETWORK', kind: 'network' },
  '--dns-port': { key: 'dnsPort', env: 'LOCALFLY_DNS_PORT', kind: 'port' },
  '--edge-port': { key: 'edgePort', env: 'LOCALFLY_EDGE_PORT', kind: 'port' },
  '--control-port': { key: 'controlPort', env: 'LOCALFLY_CONTROL_PORT', kind: 'port' },
  '--address-base': { key: 'addressBase', env: 'LOCALFLY_ADDRESS_BASE', kind: 'text' },
  '--machine-port': { key: 'machinePort', env: 'LOCALFLY_MACHINE_PORT', kind: 'port' },
  '--start-timeout-ms': { key: 'startTimeoutMs', env: 'LOCALFLY_START_TIMEOUT_MS', kind: 'ms' },
  '--stop-timeout-ms': { key: 'stopTimeoutMs', env: 'LOCALFLY_STOP_TIMEOUT_MS', kind: 'ms' },
  '--fly-toml': { key: 'flyToml', env: 'LOCALFLY_FLY_TOML', kind: 'text' },
};

function convert(flag: string, kind: Kind, raw: string): string | number {
  if (kind === 'network') {
    if (!(NETWORK_CHOICES as readonly string[]).includes(raw))
      throw new Error(`${flag} must be one of ${NETWORK_CHOICES.join(', ')}, got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (kind === 'text') {
    if (raw === '') throw new Error(`${flag} needs a value`);
    return raw;
  }
  if (!/^\d+$/.test(raw)) throw new Error(`${flag} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (kind === 'port' && n > 65535) throw new Error(`${flag} must be a port (0-65535), got ${n}`);
  if (kind === 'ms' && (n < 100 || n > 600_000)) throw new Error(`${flag} must be between 100 and 600000, got ${n}`);
  return n;
}

/** Flags first, then the environment, then defaults (left to startCluster). */
export function parseCliArgs(argv: readonly string[], env: Env, isTty: boolean): CliParse {
  if (argv[0] === 'deploy') return parseDeployArgs(argv.slice(1), env);
  const options: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  const secrets: string[] = [];
  let color: boolean | undefined;
  let command: string[] = [];
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '--') {
        command = argv.slice(i + 1);
        break;
      }
      if (arg === '-h' || arg === '--help') return { kind: 'help' };
      if (arg === '--color' || arg === '--no-color') {
        color = arg === '--color';
        continue;
      }
      const eq = arg.indexOf('=');
      const flag = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
      const inline = arg.startsWith('--') && eq !== -1 ? arg.slice(eq + 1) : undefined;
      if (flag !== '--env' && flag !== '--secret' && VALUED[flag] === undefined) {
        if (arg.startsWith('-')) throw new Error(`unknown option ${flag}`);
        // The command may also start without `--`, at the first word that is not an option.
        command = argv.slice(i);
        break;
      }
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      if (flag === '--secret') {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
          throw new Error(`--secret takes a variable name, got ${JSON.stringify(value)}`);
        secrets.push(value);
        continue;
      }
      if (flag === '--env') {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
        if (m === null) throw new Error(`--env takes KEY=VALUE, got ${JSON.stringify(value)}`);
        extra[m[1]!] = m[2]!;
        continue;
      }
      const spec = VALUED[flag]!;
      options[spec.key] = convert(flag, spec.kind, value);
    }
    for (const spec of Object.values(VALUED)) {
      const fromEnv = env[spec.env];
      if (options[spec.key] === undefined && fromEnv !== undefined && fromEnv !== '')
        options[spec.key] = convert(spec.env, spec.kind, fromEnv);
    }
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if (command.length === 0)
    return { kind: 'error', message: 'no command: give the command each Machine runs after --' };
  if (Object.keys(extra).length > 0) options.env = extra;
  if (secrets.length > 0) options.secrets = secrets;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const forceColor = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0';
  return {
    kind: 'run',
    options: { ...(options as Partial<CliOptions>), command },
    color: color ?? (forceColor || (isTty && !noColor)),
  };
}
