import type { ClusterNetwork, MachineNet } from '../network/types.ts';
import type { MachineState, MachineView } from '../types.ts';
import { canRun, isRunnable, machineEnv } from './env.ts';
import { type Exit, type GroupProcess, spawnGroup } from './process.ts';

/** Lines of a Machine's output kept to explain why it failed to start. */
export const OUTPUT_TAIL_LINES = 20;

export interface MachineInfo extends MachineView {
  pid: number | null;
  /** Its network namespace (namespace mode), e.g. for `ip netns exec <netns> ss -tlnp`. */
  netns: string | null;
  /** ISO time the Machine last became started. */
  startedAt: string | null;
  /** How the Machine's process last ended, if it did. */
  lastExit: (Exit & { at: string }) | null;
  /** Its own variables over the cluster's `--env` (a restart through the control API sets them). */
  env: Record<string, string>;
}

export interface FleetOptions {
  app: string;
  primaryRegion: string;
  /** argv run in every Machine. */
  command: readonly string[];
  cwd: string;
  /** Extra environment for every Machine (`--env`). */
  env: Readonly<Record<string, string>>;
  /** Where Machines live: their own network namespaces, or loopback addresses. */
  network: Pick<ClusterNetwork, 'mode' | 'attach' | 'detach'>;
  /** The port every Machine's app listens on; 0 gives each Machine a port of its own choosing. */
  machinePort: number;
  startTimeoutMs: number;
  /** Grace after the kill signal before SIGKILL (Fly's kill_timeout). */
  stopTimeoutMs: number;
  /** What a graceful stop sends (Fly's kill_signal; its default is SIGINT). */
  killSignal?: NodeJS.Signals;
  /** Told of every Machine process group, to kill them should localfly die without stopping them. */
  reaper?: { add(pgid: number): void; remove(pgid: number): void };
  onOutput?: (machine: MachineView, stream: 'stdout' | 'stderr', line: string) => void;
  onEvent?: (machine: MachineView, level: 'info' | 'warn' | 'error', message: string) => void;
}

/** One Machine as the fleet keeps it. */
export interface Machine {
  id: string;
  /** Creation order (Machines may finish setting up their network in any order). */
  index: number;
  region: string;
  net: MachineNet;
  state: MachineState;
  proc: GroupProcess | null;
  startedAt: string | null;
  lastExit: MachineInfo['lastExit'];
  tail: string[];
  /** This Machine's own variables over the cluster's `--env` (set through the control API's restart). */
  env: Record<string, string>;
  /** Operations on one Machine run one after another. */
  queue: Promise<unknown>;
}

/** What the control API, DNS and the edges see of a Machine. */
export function viewOf(m: Machine): MachineInfo {
  return {
    id: m.id,
    region: m.region,
    state: m.state,
    address: m.net.address,
    port: m.net.port,
    privateIp: m.net.privateIp,
    processGroup: 'app',
    ...(m.net.dial !== null ? { dial: m.net.dial } : {}),
    pid: m.proc?.pid ?? null,
    netns: m.net.netns,
    startedAt: m.startedAt,
    lastExit: m.lastExit,
    env: { ...m.env },
  };
}

/**
 * Runs the Machine's command in its network, with Fly's environment, keeping its last output lines.
 * Null when the command cannot be run at all (then `lastExit` says why).
 */
export function launch(
  m: Machine,
  o: FleetOptions,
  on: {
    onLine(stream: 'stdout' | 'stderr', line: string): void;
    onExit(proc: GroupProcess, exit: Exit): void;
  },
): GroupProcess | null {
  const env = machineEnv(
    process.env,
    { ...o.env, ...m.env },
    {
      id: m.id,
      region: m.region,
      app: o.app,
      primaryRegion: o.primaryRegion,
      privateIp: m.net.privateIp,
      port: m.net.port,
      binPath: `${o.cwd}/node_modules/.bin`,
      modeEnv: m.net.env,
    },
  );
  m.tail = [];
  const file = o.command[0] ?? '';
  // A wrapper (`ip netns exec`) would hide a missing command behind its own exit code.
  if (m.net.netns !== null && !isRunnable(file, env.PATH, o.cwd, canRun)) {
    m.lastExit = { code: null, signal: null, error: `command not found: ${file}`, at: new Date().toISOString() };
    return null;
  }
  const proc = spawnGroup(m.net.wrap(o.command), {
    cwd: o.cwd,
    env,
    onLine: (stream, line) => {
      m.tail.push(line);
      if (m.tail.length > OUTPUT_TAIL_LINES) m.tail.shift();
      on.onLine(stream, line);
    },
  });
  m.proc = proc;
  const pid = proc.pid;
  if (pid !== null) o.reaper?.add(pid);
  void proc.exited.then((exit) => {
    if (pid !== null) o.reaper?.remove(pid);
    on.onExit(proc, exit);
  });
  return proc;
}
