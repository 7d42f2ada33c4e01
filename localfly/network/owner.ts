import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Who owns a run's namespaces: the pid of the localfly process and its start time (so that a pid
 * reused by another process after a crash does not keep stale namespaces alive).
 */
export interface Owner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string;
}

/** The start time from the text of /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function startTimeFromStat(stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); the start time is field 22.
  const value = fields[22 - 3];
  return value !== undefined && /^\d+$/.test(value) ? value : null;
}

function startTimeOf(pid: number): string | null {
  try {
    return startTimeFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export function currentOwner(): Owner {
  return { pid: process.pid, startTime: startTimeOf(process.pid) ?? '0' };
}

export function writeOwner(file: string, owner: Owner): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(owner)}\n`);
}

export function readOwner(file: string): Owner | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Owner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.startTime !== 'string') return null;
    return { pid: parsed.pid, startTime: parsed.startTime };
  } catch {
    return null;
  }
}

/** True while the process that wrote the record still runs (same pid, same start time). */
export function ownerAlive(owner: Owner | null): boolean {
  return owner !== null && startTimeOf(owner.pid) === owner.startTime;
}
