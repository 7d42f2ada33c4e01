// The reaper: a tiny process that outlives localfly only to clean up after it. localfly writes
// "+<pgid>" when a Machine's process group starts and "-<pgid>" when it ends, and "!<json argv>"
// for a command that undoes something it set up (deleting a network namespace, a link, a file),
// "~<json argv>" once it undid it itself. When localfly's end of the pipe closes for any reason (a
// normal stop, a crash, a SIGKILL that no 'exit' hook can catch), every group still listed gets
// SIGKILL, then the undo commands still listed run, newest first, so nothing outlives the cluster.
import { spawnSync } from 'node:child_process';
import readline from 'node:readline';

/** Bound on one undo command. */
const UNDO_TIMEOUT_MS = 10_000;

const groups = new Set();
const undo = new Map();

function parseArgv(text) {
  try {
    const argv = JSON.parse(text);
    return Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === 'string') ? argv : null;
  } catch {
    return null;
  }
}

readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    const kind = line[0];
    const rest = line.slice(1);
    if (kind === '!' && parseArgv(rest) !== null) undo.set(rest, parseArgv(rest));
    else if (kind === '~') undo.delete(rest);
    const pgid = Number(rest);
    if (!Number.isInteger(pgid) || pgid <= 1) return;
    if (kind === '+') groups.add(pgid);
    else if (kind === '-') groups.delete(pgid);
  })
  .on('close', () => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const argv of [...undo.values()].reverse()) {
      spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: UNDO_TIMEOUT_MS });
    }
    process.exit(0);
  });
