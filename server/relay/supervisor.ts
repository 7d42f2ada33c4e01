import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import type { FastifyBaseLogger } from 'fastify';
import { backoffDelayMs } from '../../shared/backoff.ts';
import { hostPort } from './addresses.ts';
import type { RelayLimits } from './limits.ts';
import { type NatsLogLine, parseNatsLine, RepeatFilter, redact, template } from './log-lines.ts';
import { findExecutable } from './mode.ts';

export type ServerState = 'stopped' | 'starting' | 'running' | 'waiting';

/** A port nats-server will listen on, with the variable that sets it (for the error line). */
export interface ListenPort {
  host: string;
  port: number;
  variable: string;
}

export interface SupervisorOptions {
  bin: string;
  /** Already tagged `component=nats`. */
  log: FastifyBaseLogger;
  /** Redacted from every line nats-server prints. */
  secrets: readonly string[];
  ports: readonly ListenPort[];
  limits: Pick<
    RelayLimits,
    'restartBackoffBaseMs' | 'restartBackoffMaxMs' | 'stableAfterMs' | 'stopTimeoutMs' | 'logRepeatWindowMs'
  >;
  /**
   * util-linux `setpriv`, when there is one: nats-server then runs in a process group of its own, so a
   * Ctrl-C or a Machine stop signalling the app's group does not stop it before the app has drained,
   * and with `--pdeathsig KILL`, so it never outlives the app (even one killed with SIGKILL).
   * Default: found on PATH or in /usr/bin; null runs nats-server directly in the app's group.
   */
  setpriv?: string | null;
  onState?: (state: ServerState) => void;
  /** Every line nats-server prints, parsed and redacted, before the repeat filter. */
  onLine?: (line: NatsLogLine) => void;
  random?: () => number;
  now?: () => number;
}

const READY_LINE = 'Server is ready';

/** The argv that starts nats-server, and whether it gets a process group of its own. */
export function launchCommand(
  bin: string,
  configFile: string,
  setpriv: string | null,
): { file: string; args: string[]; detached: boolean } {
  if (setpriv === null) return { file: bin, args: ['-c', configFile], detached: false };
  return { file: setpriv, args: ['--pdeathsig', 'KILL', bin, '-c', configFile], detached: true };
}

let setprivPath: string | null | undefined;

function findSetpriv(): string | null {
  setprivPath ??= findExecutable('setpriv', process.env.PATH, ['/usr/bin/setpriv']);
  return setprivPath;
}

function portFree(p: ListenPort): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === 'EADDRINUSE'
          ? `${hostPort(p.host, p.port)} (${p.variable}) is in use`
          : `cannot listen on ${hostPort(p.host, p.port)} (${p.variable}): ${err.code ?? err.message}`,
      ),
    );
    probe.listen({ host: p.host, port: p.port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

/**
 * Runs one nats-server child: writes its config file (a temp dir of its own, mode 0600, it holds the
 * secret), restarts it with backoff when it exits on its own, reloads it with SIGHUP, and pipes its
 * output into the Machine's log (levels mapped, secrets redacted, repeats held back). Before each
 * start the ports are tried, so a port in use is one clear line instead of a crash loop.
 */
export class NatsSupervisor {
  private readonly opts: SupervisorOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly repeats: RepeatFilter;
  private child: ChildProcess | null = null;
  private dir: string | null = null;
  private config = '';
  private timer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private runningSinceMs: number | null = null;
  private planned = false;
  private reloadWhenReady = false;
  private stopping = false;
  private blockedBy: string | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill('SIGKILL');
  state: ServerState = 'stopped';
  /** Start attempts after the first: planned restarts, restarts after an exit, retries while a port is taken. */
  restarts = 0;
  reloads = 0;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.repeats = new RepeatFilter(opts.limits.logRepeatWindowMs);
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get configFile(): string | null {
    return this.dir === null ? null : join(this.dir, 'nats.conf');
  }

  /** Writes the config and starts nats-server; later calls only rewrite the config. */
  async start(configText: string): Promise<void> {
    this.config = configText;
    if (this.dir !== null) return;
    this.dir = await mkdtemp(join(tmpdir(), 'replaycast-nats-'));
    process.on('exit', this.killOnExit);
    await this.launch();
  }

  /** New config: SIGHUP (routes change in place) or a restart (gateways cannot be reloaded). */
  async update(configText: string, how: 'reload' | 'restart'): Promise<void> {
    this.config = configText;
    if (this.stopping || this.dir === null) return;
    await this.writeConfig();
    const child = this.child;
    if (child === null) return; // The next start reads the new file.
    if (how === 'reload') {
      // A server still starting may have read the old file: reload it once it is ready.
      if (this.state !== 'running') this.reloadWhenReady = true;
      else this.reload(child);
      return;
    }
    this.planned = true;
    child.kill('SIGTERM');
  }

  /** SIGTERM, then SIGKILL after the stop timeout; removes the config file. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    if (child !== null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), this.opts.limits.stopTimeoutMs);
      await this.exited;
      clearTimeout(killer);
    }
    process.off('exit', this.killOnExit);
    if (this.dir !== null) await rm(this.dir, { recursive: true, force: true });
    this.setState('stopped');
  }

  private reload(child: ChildProcess): void {
    this.reloads++;
    child.kill('SIGHUP');
  }

  private setState(state: ServerState): void {
    if (this.state === state) return;
    this.state = state;
    this.opts.onState?.(state);
  }

  private async writeConfig(): Promise<void> {
    await writeFile(this.configFile!, this.config, { mode: 0o600 });
  }

  /** Never rejects: a failure to write the file or to spawn is logged and retried like an exit. */
  private async launch(): Promise<void> {
    try {
      await this.launchOnce();
    } catch (err) {
      if (this.stopping) return;
      this.child = null;
      const delayMs = this.retryLater();
      this.opts.log.error({ err, delayMs }, `nats: cannot start nats-server; retrying in ${delayMs} ms`);
    }
  }

  private async launchOnce(): Promise<void> {
    this.timer = null;
    if (this.stopping) return;
    this.setState('starting');
    const busy = (await Promise.all(this.opts.ports.map(portFree))).filter((p) => p !== null);
    if (this.stopping) return;
    if (busy.length > 0) {
      const reason = busy.join('; ');
      if (this.blockedBy !== reason) {
        this.opts.log.error({ reason }, `nats: cannot start nats-server: ${reason}; retrying with backoff`);
      }
      this.blockedBy = reason;
      this.retryLater();
      return;
    }
    if (this.blockedBy !== null) this.opts.log.info('nats: its ports are free again; starting nats-server');
    this.blockedBy = null;
    await this.writeConfig();
    if (this.stopping) return;
    this.spawnChild();
  }

  private spawnChild(): void {
    const setpriv = this.opts.setpriv === undefined ? findSetpriv() : this.opts.setpriv;
    const { file, args, detached } = launchCommand(this.opts.bin, this.configFile!, setpriv);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached });
    this.child = child;
    let resolveExit!: () => void;
    this.exited = new Promise((resolve) => {
      resolveExit = resolve;
    });
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: string) => {
      if (done) return;
      done = true;
      this.child = null;
      this.onExit(code, signal, error);
      resolveExit();
    };
    child.once('error', (err) => {
      if (child.pid === undefined) finish(null, null, err.message);
    });
    child.once('exit', (code, signal) => finish(code, signal));
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.onOutput(line));
    }
  }

  private onOutput(raw: string): void {
    const parsed = parseNatsLine(raw);
    const line = { level: parsed.level, msg: redact(parsed.msg, this.opts.secrets) };
    if (line.msg === READY_LINE) {
      this.runningSinceMs = this.now();
      this.setState('running');
      if (this.reloadWhenReady && this.child !== null) this.reload(this.child);
      this.reloadWhenReady = false;
    }
    this.opts.onLine?.(line);
    const { emit, suppressed } = this.repeats.admit(`${line.level} ${template(line.msg)}`, this.now());
    if (!emit) return;
    this.opts.log[line.level](suppressed > 0 ? { repeats: suppressed } : {}, line.msg);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    const ranMs = this.runningSinceMs === null ? 0 : this.now() - this.runningSinceMs;
    this.runningSinceMs = null;
    this.reloadWhenReady = false;
    if (this.stopping) return;
    if (this.planned) {
      this.planned = false;
      this.restarts++;
      this.attempts = 0;
      void this.launch();
      return;
    }
    if (ranMs >= this.opts.limits.stableAfterMs) this.attempts = 0;
    const delayMs = this.retryLater();
    const how = error ?? (signal !== null ? `killed by ${signal}` : `exited with code ${code}`);
    this.opts.log.warn({ code, signal, delayMs }, `nats: nats-server ${how}; restarting in ${delayMs} ms`);
  }

  private retryLater(): number {
    this.setState('waiting');
    const { restartBackoffBaseMs: baseMs, restartBackoffMaxMs: maxMs } = this.opts.limits;
    const delayMs = backoffDelayMs(this.attempts++, { baseMs, maxMs }, this.random());
    this.timer = setTimeout(() => {
      this.restarts++;
      void this.launch();
    }, delayMs);
    return delayMs;
  }
}
