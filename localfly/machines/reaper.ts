import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./reaper.mjs', import.meta.url));

/**
 * Guarantees Machines die with localfly, even when localfly is killed with SIGKILL (then no
 * 'exit' hook runs). Runs reaper.mjs in its own process group, told of every Machine's group over
 * a pipe (and of the commands that undo its network set-up); the pipe closing is its cue to kill
 * what is left and run those commands.
 */
export class Reaper {
  readonly #child: ChildProcess;

  constructor() {
    this.#child = spawn(process.execPath, [SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    this.#child.on('error', () => undefined);
    this.#child.stdin?.on('error', () => undefined);
    // Neither the reaper nor its pipe may keep localfly running.
    this.#child.unref();
    (this.#child.stdin as Socket | null)?.unref();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  add(pgid: number): void {
    this.#child.stdin?.write(`+${pgid}\n`);
  }

  remove(pgid: number): void {
    this.#child.stdin?.write(`-${pgid}\n`);
  }

  /** A command to run should localfly die before undoing what it set up itself (argv, no shell). */
  addUndo(argv: readonly string[]): void {
    this.#child.stdin?.write(`!${JSON.stringify(argv)}\n`);
  }

  /** localfly undid it itself. */
  removeUndo(argv: readonly string[]): void {
    this.#child.stdin?.write(`~${JSON.stringify(argv)}\n`);
  }

  /** Ends the pipe: the reaper kills whatever is still listed and exits. */
  close(): void {
    this.#child.stdin?.end();
  }
}
