import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';

/** One JSON log line of the server (pino). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface MachineProcessOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Run as this user and group (when the test runs as root), as the image's USER would. */
  uid?: number;
  gid?: number;
  /** The log line announcing the metrics endpoint (it carries `port`). */
  metricsMsg: string;
  startTimeoutMs: number;
}

export interface MachineProcess {
  readonly pid: number;
  readonly publicUrl: string;
  readonly metricsPort: number;
  readonly lines: LogLine[];
  readonly stderr: () => string;
  /** Sends `signal` and resolves when the process has exited, with how long that took. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Last resort for cleanup. */
  kill(): void;
}

/**
 * Whether `uid` may run `binary` in `cwd` (every folder on the way must be searchable by it).
 * When it may not (say the checkout sits under a private home folder), the caller runs as itself.
 */
export function canRunAs(binary: string, cwd: string, uid: number, gid: number): boolean {
  const result = spawnSync(binary, ['-e', 'require("node:fs").readdirSync(".")'], {
    cwd,
    uid,
    gid,
    env: {},
    timeout: 10_000,
  });
  return result.status === 0;
}

/**
 * Starts the image's CMD as Fly would and waits until both the public server and the metrics
 * endpoint have announced their ports in the log (bounded by startTimeoutMs).
 */
export async function startMachine(opts: MachineProcessOptions): Promise<MachineProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(opts.argv[0]!, opts.argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env,
    uid: opts.uid,
    gid: opts.gid,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  const lines: LogLine[] = [];
  let stderr = '';
  let partial = '';
  let publicUrl: string | null = null;
  let metricsPort: number | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening within ${opts.startTimeoutMs} ms`)),
      opts.startTimeoutMs,
    );
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`exited during start-up (${signal ?? `code ${code}`})`));
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl !== -1; nl = partial.indexOf('\n')) {
        const text = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { msg: text, notJson: true };
        }
        lines.push(line);
        const listening = /^Server listening at (http:\/\/\S+)$/.exec(line.msg ?? '');
        // Fastify logs the public listener before its onListen hooks open the private ones
        // (directory peer API, whose Fastify logs the same message), so the first one is public.
        if (listening !== null && publicUrl === null) publicUrl = listening[1]!;
        if (line.msg === opts.metricsMsg && typeof line.port === 'number') metricsPort = line.port;
      }
      if (publicUrl !== null && metricsPort !== null) {
        clearTimeout(timer);
        resolve();
      }
    });
  });

  try {
    await ready;
  } catch (err) {
    child.kill('SIGKILL');
    const logs = lines.map((l) => JSON.stringify(l)).join('\n');
    throw new Error(`${opts.argv.join(' ')}: ${(err as Error).message}\nstdout:\n${logs}\nstderr:\n${stderr}`);
  }

  return {
    pid: child.pid!,
    publicUrl: publicUrl!,
    metricsPort: metricsPort!,
    lines,
    stderr: () => stderr,
    async stop(signal) {
      const sentAt = Date.now();
      child.kill(signal);
      const result = await exited;
      return { ...result, ms: Date.now() - sentAt };
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
