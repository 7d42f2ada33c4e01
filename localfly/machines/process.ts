import { spawn } from 'node:child_process';
import readline from 'node:readline';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be run at all (e.g. not found). */
  error?: string;
}

export interface GroupProcess {
  pid: number | null;
  exited: Promise<Exit>;
  hasExited(): boolean;
  /** Signals the whole process group: wrappers like `tsx` or `sh -c` and what they started. */
  signal(signal: NodeJS.Signals): void;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Runs `command` as the leader of a new process group (detached), so stopping a Machine reaches
 * every process it started and Ctrl-C in the terminal reaches only localfly, which then stops the
 * Machines in order. Output arrives line by line.
 */
export function spawnGroup(
  command: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onLine: (stream: 'stdout' | 'stderr', line: string) => void },
): GroupProcess {
  const [file, ...args] = command;
  if (file === undefined) throw new RangeError('empty command');
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      // Only spawn failures matter here; a failed kill also emits 'error' and changes nothing.
      if (child.pid === undefined && !done) {
        done = true;
        resolve({
          code: null,
          signal: null,
          error: err.code === 'ENOENT' ? `command not found: ${file}` : err.message,
        });
      }
    });
    child.once('exit', (code, signal) => {
      done = true;
      // The leader is gone; anything it left behind in its group goes too.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      resolve({ code, signal });
    });
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream];
    if (source === null) continue;
    readline.createInterface({ input: source, crlfDelay: Infinity }).on('line', (line) => options.onLine(stream, line));
  }
  return {
    pid: child.pid ?? null,
    exited,
    hasExited: () => done,
    signal: (signal) => {
      if (!done && child.pid !== undefined) signalGroup(child.pid, signal);
    },
  };
}
