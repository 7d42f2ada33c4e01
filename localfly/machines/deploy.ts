import { LocalflyError } from '../listen.ts';
import type { MachineInfo } from './machine.ts';
import { describeExit } from './start-failure.ts';

/** What a rolling restart did to one Machine; times are ms since the epoch. */
export interface DeployedMachine {
  id: string;
  region: string;
  /** `restarted`; `skipped` for a Machine that was not running (fly deploy leaves it stopped). */
  action: 'restarted' | 'skipped';
  /** The kill signal sent (fly.toml's `kill_signal`). */
  signal?: string;
  signalledAt?: number;
  exitedAt?: number;
  /** How the process ended, e.g. "exited with code 0" (or "was killed by SIGKILL" after kill_timeout). */
  exit?: string;
  /** When it accepted connections again, with the same id. */
  listeningAt?: number;
}

export interface DeployReport {
  strategy: 'rolling';
  startedAt: number;
  finishedAt: number;
  machines: DeployedMachine[];
}

/** What a rolling deploy needs of the fleet. */
export interface DeployFleet {
  list(): MachineInfo[];
  /** Graceful stop: the kill signal, then SIGKILL after the kill timeout; resolves once the process exited. */
  stop(id: string): Promise<MachineInfo>;
  /** Starts it again (same id, address and port); resolves once it accepts connections. */
  start(id: string): Promise<MachineInfo>;
}

export interface DeployOptions {
  killSignal: string;
  /** One progress line per step, e.g. `deploy [2/3] d8913edc2d66e8 (dfw): SIGINT`. */
  progress(message: string, machine?: { id: string; region: string }): void;
  now?: () => number;
}

/**
 * `fly deploy --strategy rolling` as localfly can rehearse it: the Machines one at a time, in creation
 * order; each gets the kill signal, its exit is awaited (the fleet sends SIGKILL after the kill timeout),
 * then it starts again with the same id and the next one waits until it listens. A Machine that does not
 * come back stops the deploy (a LocalflyError naming it), as a failed Machine stops Fly's.
 */
export async function rollingDeploy(fleet: DeployFleet, opts: DeployOptions): Promise<DeployReport> {
  const now = opts.now ?? Date.now;
  const startedAt = now();
  const targets = fleet.list();
  const machines: DeployedMachine[] = [];
  opts.progress(
    `deploy: rolling restart of ${targets.length} Machine${targets.length === 1 ? '' : 's'}, one at a time`,
  );
  for (const [i, m] of targets.entries()) {
    const who = { id: m.id, region: m.region };
    const step = `deploy [${i + 1}/${targets.length}]`;
    if (m.state !== 'started') {
      machines.push({ ...who, action: 'skipped' });
      opts.progress(`${step}: ${m.state}, left as it is`, who);
      continue;
    }
    const signalledAt = now();
    opts.progress(`${step}: ${opts.killSignal}, waiting for it to exit`, who);
    const stopped = await fleet.stop(m.id);
    const exitedAt = now();
    const exit = stopped.lastExit === null ? 'exited' : describeExit(stopped.lastExit);
    opts.progress(`${step}: ${exit} after ${exitedAt - signalledAt} ms; starting it again`, who);
    try {
      await fleet.start(m.id);
    } catch (err) {
      opts.progress(`${step}: did not start again; deploy stopped`, who);
      throw new LocalflyError(`deploy stopped at Machine ${m.id} (${m.region}): ${(err as Error).message}`);
    }
    const listeningAt = now();
    opts.progress(`${step}: listening again after ${listeningAt - exitedAt} ms`, who);
    machines.push({ ...who, action: 'restarted', signal: opts.killSignal, signalledAt, exitedAt, exit, listeningAt });
  }
  const finishedAt = now();
  opts.progress(`deploy: done in ${finishedAt - startedAt} ms`);
  return { strategy: 'rolling', startedAt, finishedAt, machines };
}

/** One deploy at a time: a second request while one runs is refused. */
export class Deployer {
  private running: Promise<DeployReport> | null = null;

  constructor(
    private readonly fleet: DeployFleet,
    private readonly opts: DeployOptions,
  ) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /** Null when a deploy is already running. */
  deploy(): Promise<DeployReport> | null {
    if (this.running !== null) return null;
    const run = rollingDeploy(this.fleet, this.opts);
    this.running = run;
    const done = () => {
      this.running = null;
    };
    run.then(done, done);
    return run;
  }
}
