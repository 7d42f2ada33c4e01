import { execFile } from 'node:child_process';
import { LocalflyError } from '../listen.ts';

/** Bound on one `ip` command (they take milliseconds; a hang must not hang localfly). */
export const IP_TIMEOUT_MS = 10_000;

/** Runs `ip` with these arguments (and `input` on stdin, for `-batch -`); rejects with its first error line. */
export function ip(args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', args, { timeout: IP_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err === null) {
        resolve(stdout);
        return;
      }
      const line = String(stderr).trim().split('\n')[0] || err.message;
      reject(new LocalflyError(`ip ${args.join(' ')}: ${line}`));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Several `ip` commands in one process (`ip [-n <netns>] -batch -`); stops at the first failure. */
export function ipBatch(commands: readonly string[], netns?: string): Promise<string> {
  return ip([...(netns === undefined ? [] : ['-n', netns]), '-batch', '-'], `${commands.join('\n')}\n`);
}
