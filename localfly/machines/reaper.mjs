// The reaper: a tiny process that outlives localfly only to clean up after it. localfly writes
// "+<pgid>" when a Machine's process group starts and "-<pgid>" when it ends. When localfly's end
// of the pipe closes for any reason (a normal stop, a crash, a SIGKILL that no 'exit' hook can
// catch), every group still listed gets SIGKILL, so no Machine outlives its cluster.
import readline from 'node:readline';

const groups = new Set();
readline
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) return;
    if (line.startsWith('+')) groups.add(pgid);
    else if (line.startsWith('-')) groups.delete(pgid);
  })
  .on('close', () => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    process.exit(0);
  });
