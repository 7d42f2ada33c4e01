import { accessSync, constants } from 'node:fs';

/** Variables of the parent's environment a Machine never inherits: Fly's, and the ones localfly sets per Machine. */
const NOT_INHERITED = /^(FLY_.*|HOST|PORT)$/;

export interface MachineEnvFacts {
  id: string;
  region: string;
  app: string;
  primaryRegion: string;
  /** FLY_PRIVATE_IP. */
  privateIp: string;
  port: number;
  /** The project's node_modules/.bin, put first on PATH. */
  binPath: string | null;
  /** What the network mode adds (loopback: HOST and FLY_DNS_SERVER; namespace mode: nothing). */
  modeEnv: Readonly<Record<string, string>>;
}

/**
 * The environment of one Machine: the parent's (minus FLY_*, HOST and PORT), plus extras
 * (`--env`), plus Fly's variables and the mode's, which win.
 */
export function machineEnv(
  parent: NodeJS.ProcessEnv,
  extras: Readonly<Record<string, string>>,
  m: MachineEnvFacts,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(parent)) if (!NOT_INHERITED.test(key)) env[key] = value;
  if (m.binPath !== null) env.PATH = env.PATH ? `${m.binPath}:${env.PATH}` : m.binPath;
  Object.assign(env, extras);
  return Object.assign(
    env,
    {
      FLY_MACHINE_ID: m.id,
      FLY_ALLOC_ID: m.id,
      FLY_REGION: m.region,
      FLY_APP_NAME: m.app,
      FLY_PRIVATE_IP: m.privateIp,
      FLY_PROCESS_GROUP: 'app',
      PRIMARY_REGION: m.primaryRegion,
      PORT: String(m.port),
    },
    m.modeEnv,
  );
}

/** Whether `file` can be run from `cwd` with this PATH (a wrapper such as `ip netns exec` hides ENOENT). */
export function isRunnable(
  file: string,
  path: string | undefined,
  cwd: string,
  canRun: (p: string) => boolean,
): boolean {
  if (file.includes('/')) return canRun(file.startsWith('/') ? file : `${cwd}/${file}`);
  return (path ?? '')
    .split(':')
    .filter(Boolean)
    .some((dir) => canRun(`${dir.startsWith('/') ? dir : `${cwd}/${dir}`}/${file}`));
}

/** Whether this process may execute the file at `path`. */
export function canRun(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
