import { LocalflyError } from '../listen.ts';
import type { MachineNet } from '../network/types.ts';
import { hostPort, newMachineId } from './addresses.ts';
import { type FleetOptions, launch, type Machine, type MachineInfo, viewOf } from './machine.ts';
import { reservePort } from './ports.ts';
import type { Exit, GroupProcess } from './process.ts';
import { loopbackProbe, namespaceProbe, type Readiness, WildcardBindError, waitUntilReady } from './readiness.ts';
import { describeExit, type StartFailure, startFailureMessage } from './start-failure.ts';

export { type FleetOptions, type MachineInfo, OUTPUT_TAIL_LINES } from './machine.ts';

/** Starts, stops and tracks the Machines: one process group each, in its own network namespace or on its own loopback address. */
export class Fleet {
  readonly #options: FleetOptions;
  readonly #machines = new Map<string, Machine>();
  /** Ids handed out to Machines whose network is still being set up. */
  readonly #reserved = new Set<string>();
  #nextIndex = 0;

  constructor(options: FleetOptions) {
    this.#options = options;
  }

  #view(m: Machine): MachineInfo {
    return viewOf(m);
  }

  list(): MachineInfo[] {
    return [...this.#machines.values()].sort((a, b) => a.index - b.index).map((m) => this.#view(m));
  }

  get(id: string): MachineInfo | undefined {
    const m = this.#machines.get(id);
    return m === undefined ? undefined : this.#view(m);
  }

  regionOfAddress(address: string): string | undefined {
    for (const m of this.#machines.values()) if (m.net.address === address) return m.region;
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
    // The index is taken before the first await, so addresses follow the order of create() calls.
    const index = this.#nextIndex++;
    const id = newMachineId((candidate) => this.#machines.has(candidate) || this.#reserved.has(candidate));
    this.#reserved.add(id);
    let net: MachineNet;
    try {
      net = await this.#options.network.attach({ id, index, port: this.#options.machinePort });
    } finally {
      this.#reserved.delete(id);
    }
    const m: Machine = {
      id,
      index,
      region,
      net,
      state: 'stopped',
      proc: null,
      startedAt: null,
      lastExit: null,
      tail: [],
      env: {},
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
        // On the shared host network, prove the port is free: another process answering must not count as started.
        if (m.net.netns === null) await reservePort(m.net.address, m.net.port, `Machine ${id} (${m.region})`);
      } catch (err) {
        m.state = 'stopped';
        throw err;
      }
      const began = Date.now();
      const proc = this.#spawn(m);
      // The Machine's network gets ready (its port agent starts) while the app boots.
      const unreachable = await m.net.ready().then(
        () => null,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      );
      const readiness: Readiness =
        proc === null
          ? { kind: 'exited' }
          : unreachable !== null
            ? { kind: 'unreachable', message: unreachable }
            : await waitUntilReady(this.#probe(m, proc), began + this.#options.startTimeoutMs, () => proc.hasExited());
      if (proc !== null && readiness.kind === 'ready' && m.state === 'starting') {
        m.state = 'started';
        m.startedAt = new Date().toISOString();
        this.#event(
          m,
          'info',
          `started on ${hostPort(m.net.address, m.net.port)} in ${Date.now() - began} ms (pid ${proc.pid})`,
        );
        return this.#view(m);
      }
      throw await this.#failedStart(m, proc, readiness);
    });
  }

  /** Runs the Machine's command; null when it cannot be run at all (then lastExit says why). */
  #spawn(m: Machine): GroupProcess | null {
    const o = this.#options;
    return launch(m, o, {
      onLine: (stream, line) => o.onOutput?.(this.#view(m), stream, line),
      onExit: (proc, exit) => this.#exited(m, proc, exit),
    });
  }

  #probe(m: Machine, proc: GroupProcess) {
    if (m.net.dial !== null) return namespaceProbe(m.net.dial);
    return loopbackProbe({
      machine: m.id,
      address: m.net.address,
      port: m.net.port,
      pgid: () => proc.pid,
      sharedPort: this.#options.machinePort !== 0,
      others: () =>
        [...this.#machines.values()]
          .filter((other) => other !== m)
          .map((other) => ({ label: `Machine ${other.id} (${other.region})`, pgid: other.proc?.pid ?? null })),
    });
  }

  /** Stops what a failed start left running and explains the failure, with the Machine's last output. */
  async #failedStart(m: Machine, proc: GroupProcess | null, readiness: Readiness): Promise<LocalflyError> {
    let failure: StartFailure;
    if (proc === null) failure = { kind: 'exit', exit: m.lastExit! };
    else if (readiness.kind === 'refused' || readiness.kind === 'unreachable') failure = readiness;
    else if (proc.hasExited() || readiness.kind !== 'timeout') failure = { kind: 'exit', exit: await proc.exited };
    else failure = readiness;
    if (proc !== null && !proc.hasExited()) {
      proc.signal('SIGKILL');
      await proc.exited;
    }
    m.state = 'stopped';
    const o = this.#options;
    const message = startFailureMessage(
      {
        id: m.id,
        region: m.region,
        where: hostPort(m.net.address, m.net.port),
        command: o.command,
        tail: m.tail,
        startTimeoutMs: o.startTimeoutMs,
      },
      failure,
    );
    this.#event(m, 'error', message);
    return failure.kind === 'refused' ? new WildcardBindError(message) : new LocalflyError(message);
  }

  #exited(m: Machine, proc: GroupProcess, exit: Exit): void {
    if (m.proc !== proc) return;
    m.proc = null;
    m.lastExit = { ...exit, at: new Date().toISOString() };
    if (m.state === 'started') {
      // Nobody asked it to stop: a crash. Fly would restart it; localfly leaves it stopped and says so.
      m.state = 'stopped';
      const tail =
        m.tail.length > 0
          ? `; last output:\n${m.tail
              .slice(-5)
              .map((l) => `    ${l}`)
              .join('\n')}`
          : '';
      this.#event(m, 'warn', `${describeExit(exit)} unexpectedly; the Machine is stopped${tail}`);
    }
  }

  /** The signal of a graceful stop (fly.toml's kill_signal; SIGINT, Fly's default, without one). */
  get killSignal(): NodeJS.Signals {
    return this.#options.killSignal ?? 'SIGINT';
  }

  /** Graceful stop: the kill signal to its process group, SIGKILL after the stop timeout. */
  stop(id: string): Promise<MachineInfo> {
    const m = this.#require(id);
    return this.#enqueue(m, () => this.#stop(m, this.killSignal));
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

  /**
   * Graceful stop, then start. `env` (when given) replaces the Machine's own variables over the cluster's
   * from this start on, as `fly machine update --env` would; `{}` drops them.
   */
  restart(id: string, env?: Record<string, string>): Promise<MachineInfo> {
    const m = this.#require(id);
    return this.#enqueue(m, async () => {
      const stopped = await this.#stop(m, this.killSignal);
      if (env !== undefined) m.env = { ...env };
      return stopped;
    }).then(() => this.start(id));
  }

  /** Stops the Machine and forgets it: its id becomes unknown everywhere (like `fly machine destroy`). */
  destroy(id: string): Promise<MachineInfo> {
    const m = this.#require(id);
    return this.#enqueue(m, async () => {
      await this.#stop(m, this.killSignal);
      m.state = 'destroyed';
      this.#machines.delete(id);
      await this.#options.network.detach(id);
      this.#event(m, 'info', 'destroyed');
      return this.#view(m);
    });
  }

  async #stop(m: Machine, signal: NodeJS.Signals): Promise<MachineInfo> {
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
      [...this.#machines.values()].map((m) =>
        this.#enqueue(m, () => this.#stop(m, this.killSignal)).catch(() => undefined),
      ),
    );
  }

  /** Last resort when the parent is exiting right now: SIGKILL every process group, synchronously. */
  killAllNow(): void {
    for (const m of this.#machines.values()) m.proc?.signal('SIGKILL');
  }
}
