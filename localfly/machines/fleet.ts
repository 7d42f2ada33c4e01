import { LocalflyError } from '../listen.ts';
import type { MachineState, MachineView } from '../types.ts';
import { loopbackAddress, mappedIpv6, newMachineId } from './addresses.ts';
import { reservePort, waitForPort } from './ports.ts';
import { type Exit, type GroupProcess, spawnGroup } from './process.ts';

/** Lines of a Machine's output kept to explain why it failed to start. */
export const OUTPUT_TAIL_LINES = 20;

export interface MachineInfo extends MachineView {
  pid: number | null;
  /** ISO time the Machine last became started. */
  startedAt: string | null;
  /** How the Machine's process last ended, if it did. */
  lastExit: (Exit & { at: string }) | null;
}

export interface FleetOptions {
  app: string;
  primaryRegion: string;
  /** argv run in every Machine. */
  command: readonly string[];
  cwd: string;
  /** Extra environment for every Machine (`--env`). */
  env: Readonly<Record<string, string>>;
  /** First Machine address; the next ones count up (127.0.0.2, 127.0.0.3, ...). */
  addressBase: string;
  /** The port every Machine's app listens on; 0 gives each Machine a free port of its own. */
  machinePort: number;
  /** host:port of localfly's DNS, passed as FLY_DNS_SERVER. */
  dnsServer: string;
  startTimeoutMs: number;
  /** Grace after SIGINT before SIGKILL (Fly's kill_timeout). */
  stopTimeoutMs: number;
  /** Told of every Machine process group, to kill them should localfly die without stopping them. */
  reaper?: { add(pgid: number): void; remove(pgid: number): void };
  onOutput?: (machine: MachineView, stream: 'stdout' | 'stderr', line: string) => void;
  onEvent?: (machine: MachineView, level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Machine {
  id: string;
  region: string;
  address: string;
  port: number;
  state: MachineState;
  proc: GroupProcess | null;
  startedAt: string | null;
  lastExit: MachineInfo['lastExit'];
  tail: string[];
  /** Operations on one Machine run one after another. */
  queue: Promise<unknown>;
}

/** The environment of one Machine: the parent's, minus its FLY_* variables, plus extras, plus Fly's. */
export function machineEnv(
  parent: NodeJS.ProcessEnv,
  extras: Readonly<Record<string, string>>,
  m: {
    id: string;
    region: string;
    app: string;
    primaryRegion: string;
    address: string;
    port: number;
    dnsServer: string;
    binPath: string | null;
  },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(parent)) if (!key.startsWith('FLY_')) env[key] = value;
  if (m.binPath !== null) env.PATH = env.PATH ? `${m.binPath}:${env.PATH}` : m.binPath;
  Object.assign(env, extras);
  return Object.assign(env, {
    FLY_MACHINE_ID: m.id,
    FLY_ALLOC_ID: m.id,
    FLY_REGION: m.region,
    FLY_APP_NAME: m.app,
    FLY_PRIVATE_IP: mappedIpv6(m.address),
    FLY_PROCESS_GROUP: 'app',
    PRIMARY_REGION: m.primaryRegion,
    HOST: m.address,
    PORT: String(m.port),
    FLY_DNS_SERVER: m.dnsServer,
  });
}

function describeExit(exit: Exit): string {
  if (exit.error !== undefined) return `could not run: ${exit.error}`;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** Starts, stops and tracks the Machines: one process group each, on its own loopback address. */
export class Fleet {
  readonly #options: FleetOptions;
  readonly #machines = new Map<string, Machine>();
  #nextIndex = 0;

  constructor(options: FleetOptions) {
    this.#options = options;
  }

  #view(m: Machine): MachineInfo {
    return {
      id: m.id,
      region: m.region,
      state: m.state,
      address: m.address,
      port: m.port,
      privateIp: mappedIpv6(m.address),
      processGroup: 'app',
      pid: m.proc?.pid ?? null,
      startedAt: m.startedAt,
      lastExit: m.lastExit,
    };
  }

  list(): MachineInfo[] {
    return [...this.#machines.values()].map((m) => this.#view(m));
  }

  get(id: string): MachineInfo | undefined {
    const m = this.#machines.get(id);
    return m === undefined ? undefined : this.#view(m);
  }

  regionOfAddress(address: string): string | undefined {
    for (const m of this.#machines.values()) if (m.address === address) return m.region;
    return undefined;
  }

  #require(id: string): Machine {
    const m = this.#machines.get(id);
    if (m === undefined) throw new LocalflyError(`no Machine ${id}`);
    return m;
  }

  #enqueue<T>(m: Machine, op: () => Promise<T>): Promise<T> {
    const run = m.queue.then(op, op);
    m.queue = run.catch(() => undefined);
    return run;
  }

  #event(m: Machine, level: 'info' | 'warn' | 'error', message: string): void {
    this.#options.onEvent?.(this.#view(m), level, message);
  }

  /** Adds a Machine in `region` and starts it. On a start failure it stays, stopped, and this throws. */
  async create(region: string): Promise<MachineInfo> {
    const address = loopbackAddress(this.#options.addressBase, this.#nextIndex++);
    const port =
      this.#options.machinePort === 0 ? await reservePort(address, 0, 'Machine port') : this.#options.machinePort;
    const id = newMachineId((candidate) => this.#machines.has(candidate));
    const m: Machine = {
      id,
      region,
      address,
      port,
      state: 'stopped',
      proc: null,
      startedAt: null,
      lastExit: null,
      tail: [],
      queue: Promise.resolve(),
    };
    this.#machines.set(id, m);
    return this.start(id);
  }

  /** Starts a stopped Machine (same id, address and port as before); resolves once its port accepts connections. */
  start(id: string): Promise<MachineInfo> {
    const m = this.#require(id);
    return this.#enqueue(m, async () => {
      if (m.state === 'destroyed') throw new LocalflyError(`Machine ${id} is destroyed`);
      if (m.state === 'started') return this.#view(m);
      m.state = 'starting';
      try {
        await reservePort(m.address, m.port, `Machine ${id} (${m.region})`);
      } catch (err) {
        m.state = 'stopped';
        throw err;
      }
      const o = this.#options;
      const began = Date.now();
      m.tail = [];
      const proc = spawnGroup(o.command, {
        cwd: o.cwd,
        env: machineEnv(process.env, o.env, {
          ...m,
          app: o.app,
          primaryRegion: o.primaryRegion,
          dnsServer: o.dnsServer,
          binPath: `${o.cwd}/node_modules/.bin`,
        }),
        onLine: (stream, line) => {
          m.tail.push(line);
          if (m.tail.length > OUTPUT_TAIL_LINES) m.tail.shift();
          o.onOutput?.(this.#view(m), stream, line);
        },
      });
      m.proc = proc;
      const pid = proc.pid;
      if (pid !== null) o.reaper?.add(pid);
      void proc.exited.then((exit) => {
        if (pid !== null) o.reaper?.remove(pid);
        this.#exited(m, proc, exit);
      });

      const listening = await waitForPort(m.address, m.port, began + o.startTimeoutMs, () => proc.hasExited());
      if (listening && m.state === 'starting') {
        m.state = 'started';
        m.startedAt = new Date().toISOString();
        this.#event(m, 'info', `started on ${m.address}:${m.port} in ${Date.now() - began} ms (pid ${proc.pid})`);
        return this.#view(m);
      }
      let reason: string;
      if (proc.hasExited()) {
        reason = describeExit(await proc.exited);
      } else {
        reason = `did not listen on ${m.address}:${m.port} within ${o.startTimeoutMs} ms`;
        proc.signal('SIGKILL');
        await proc.exited;
      }
      m.state = 'stopped';
      const tail = m.tail.length > 0 ? `\n  last output:\n${m.tail.map((l) => `    ${l}`).join('\n')}` : '';
      const message = `Machine ${id} (${m.region}) ${reason} before listening on ${m.address}:${m.port}; command: ${o.command.join(' ')}${tail}`;
      this.#event(m, 'error', message);
      throw new LocalflyError(message);
    });
  }

  #exited(m: Machine, proc: GroupProcess, exit: Exit): void {
    if (m.proc !== proc) return;
    m.proc = null;
    m.lastExit = { ...exit, at: new Date().toISOString() };
    if (m.state === 'started') {
      // Nobody asked it to stop: a crash. Fly would restart it; localfly leaves it stopped and says so.
      m.state = 'stopped';
      this.#event(m, 'warn', `${describeExit(exit)} unexpectedly; the Machine is stopped`);
    }
  }

  /** Graceful stop: SIGINT to its process group, SIGKILL after the stop timeout. */
  stop(id: string): Promise<MachineInfo> {
    const m = this.#require(id);
    return this.#enqueue(m, () => this.#stop(m, 'SIGINT'));
  }

  /** A crash: SIGKILL at once. */
  kill(id: string): Promise<MachineInfo> {
    const m = this.#require(id);
    if (m.proc !== null && m.state !== 'destroyed') {
      // Out of routing and DNS now, not after whatever operation is queued.
      m.state = 'stopping';
      m.proc.signal('SIGKILL');
    }
    return this.#enqueue(m, () => this.#stop(m, 'SIGKILL'));
  }

  restart(id: string): Promise<MachineInfo> {
    const m = this.#require(id);
    return this.#enqueue(m, () => this.#stop(m, 'SIGINT')).then(() => this.start(id));
  }

  /** Stops the Machine and forgets it: its id becomes unknown everywhere (like `fly machine destroy`). */
  destroy(id: string): Promise<MachineInfo> {
    const m = this.#require(id);
    return this.#enqueue(m, async () => {
      await this.#stop(m, 'SIGINT');
      m.state = 'destroyed';
      this.#machines.delete(id);
      this.#event(m, 'info', 'destroyed');
      return this.#view(m);
    });
  }

  async #stop(m: Machine, signal: 'SIGINT' | 'SIGKILL'): Promise<MachineInfo> {
    const proc = m.proc;
    if (proc === null || m.state === 'destroyed') {
      if (m.state !== 'destroyed') m.state = 'stopped';
      return this.#view(m);
    }
    m.state = 'stopping';
    proc.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      proc.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.#options.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#event(m, 'warn', `still running ${this.#options.stopTimeoutMs} ms after ${signal}; sending SIGKILL`);
      proc.signal('SIGKILL');
    }
    const exit = await proc.exited;
    m.state = 'stopped';
    this.#event(m, 'info', signal === 'SIGKILL' ? 'killed (SIGKILL)' : `stopped (${describeExit(exit)})`);
    return this.#view(m);
  }

  /** Stops every Machine at once (gracefully, bounded by the stop timeout). */
  async stopAll(): Promise<void> {
    // A Machine still starting would hold the queue until its start timeout: cut it short.
    for (const m of this.#machines.values()) if (m.state === 'starting') m.proc?.signal('SIGKILL');
    await Promise.all(
      [...this.#machines.values()].map((m) => this.#enqueue(m, () => this.#stop(m, 'SIGINT')).catch(() => undefined)),
    );
  }

  /** Last resort when the parent is exiting right now: SIGKILL every process group, synchronously. */
  killAllNow(): void {
    for (const m of this.#machines.values()) m.proc?.signal('SIGKILL');
  }
}
