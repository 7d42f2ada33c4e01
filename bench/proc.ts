import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the kernel says about a process and the machine (Linux /proc), for telling a benchmark's own
 * figures from interference: how much CPU a process used, how long it was ready to run but waited for
 * a core (the direct measure of other work getting in the way), and how busy each core was.
 */

export interface TaskTimes {
  /** CPU time used by all threads of the process (GC and libuv threads included), ns. */
  runNs: number;
  /** Time its main thread (the event loop) was ready to run but waited for a core, ns. */
  waitNs: number;
}

/** From /proc/<pid>/task/<tid>/schedstat (run, wait, timeslices); null when the process is gone. */
export function taskTimes(pid: number): TaskTimes | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let runNs = 0;
  let waitNs = 0;
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      runNs += Number(run);
      if (tid === String(pid)) waitNs = Number(wait);
    } catch {
      // a thread that exited between the listing and the read
    }
  }
  return { runNs, waitNs };
}

export interface CoreTimes {
  /** Per core (cpu0, cpu1, ...): busy and total clock ticks since boot; steal counts as busy. */
  busy: number[];
  total: number[];
}

export function coreTimes(): CoreTimes | null {
  try {
    const busy: number[] = [];
    const total: number[] = [];
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+) (.*)$/.exec(line);
      if (m === null) continue;
      const f = m[2]!.trim().split(/\s+/).map(Number);
      const idle = (f[3] ?? 0) + (f[4] ?? 0);
      const sum = f.slice(0, 8).reduce((a, b) => a + b, 0);
      busy[Number(m[1])] = sum - idle;
      total[Number(m[1])] = sum;
    }
    return { busy, total };
  } catch {
    return null;
  }
}

/** How busy the given cores were between two readings, in % of one core (summed over the cores). */
export function coresBusyPct(before: CoreTimes | null, after: CoreTimes | null, cores: readonly number[]): number {
  if (before === null || after === null) return 0;
  let pct = 0;
  for (const c of cores) {
    const total = (after.total[c] ?? 0) - (before.total[c] ?? 0);
    if (total > 0) pct += (100 * ((after.busy[c] ?? 0) - (before.busy[c] ?? 0))) / total;
  }
  return pct;
}

/** The 1-minute load average (Linux /proc/loadavg, the figure `uptime` shows). */
export function load1(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}
