/**
 * Whether a pushed snapshot comes from the Machine it names: the caller's address must be among the AAAA
 * answers of `<machineId>.vm.<app>.internal`. The bearer token or an address of `<app>.internal` lets a
 * caller in (PeerAuthorizer); this decides for which Machine it may speak, which is only itself.
 */

import { normalizeAddress } from './address.ts';

export interface SenderQuestion {
  /** The caller is among the held answers for the named Machine (false when none are held). */
  callerInAnswer: boolean;
  /** Time since that name was last looked up (Infinity when never). */
  sinceLookupMs: number;
  refreshMinIntervalMs: number;
}

/**
 * match; mismatch; or look the name up again (the Machine may have a new address), but not more often
 * than the limit, so a caller cannot make every push cost a DNS query.
 */
export type SenderVerdict = 'match' | 'mismatch' | 'look-again';

export function senderVerdict(q: SenderQuestion): SenderVerdict {
  if (q.callerInAnswer) return 'match';
  return q.sinceLookupMs >= q.refreshMinIntervalMs ? 'look-again' : 'mismatch';
}

/** ok; the caller is not that Machine; or DNS could not answer now. */
export type SenderResult = 'ok' | 'not-that-machine' | 'unverifiable';

export interface SenderCheckOptions {
  /** The AAAA answers of `<machineId>.vm.<app>.internal`. */
  lookup(machineId: string): Promise<string[]>;
  refreshMinIntervalMs: number;
  /** Names whose answers are held at most; the oldest answer makes way. */
  maxMachines: number;
  now: () => number;
}

/** DNS codes that mean "no such Machine" (rather than "DNS did not answer"). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA']);

/** Holds each named Machine's addresses; concurrent pushes naming one Machine share one lookup. */
export class SenderCheck {
  private readonly answers = new Map<string, { addresses: Set<string>; atMs: number }>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly opts: SenderCheckOptions) {}

  async verify(machineId: string, remote: string): Promise<SenderResult> {
    const caller = normalizeAddress(remote);
    const held = this.answers.get(machineId);
    const verdict = senderVerdict({
      callerInAnswer: held?.addresses.has(caller) ?? false,
      sinceLookupMs: held === undefined ? Infinity : this.opts.now() - held.atMs,
      refreshMinIntervalMs: this.opts.refreshMinIntervalMs,
    });
    if (verdict === 'match') return 'ok';
    if (verdict === 'mismatch') return 'not-that-machine';
    try {
      await this.lookUp(machineId);
    } catch {
      return 'unverifiable';
    }
    return this.answers.get(machineId)?.addresses.has(caller) === true ? 'ok' : 'not-that-machine';
  }

  /** Names whose answers are held (for tests: stays within maxMachines). */
  get held(): number {
    return this.answers.size;
  }

  private lookUp(machineId: string): Promise<void> {
    let pending = this.pending.get(machineId);
    if (pending === undefined) {
      pending = this.opts
        .lookup(machineId)
        .then(
          (answers) => this.hold(machineId, answers),
          (err: NodeJS.ErrnoException) => {
            if (err.code === undefined || !NO_SUCH_NAME.has(err.code)) throw err;
            this.hold(machineId, []);
          },
        )
        .finally(() => this.pending.delete(machineId));
      this.pending.set(machineId, pending);
    }
    return pending;
  }

  private hold(machineId: string, answers: readonly string[]): void {
    this.answers.delete(machineId);
    if (this.answers.size >= this.opts.maxMachines) {
      const oldest = this.answers.keys().next();
      if (oldest.done !== true) this.answers.delete(oldest.value);
    }
    this.answers.set(machineId, { addresses: new Set(answers.map(normalizeAddress)), atMs: this.opts.now() });
  }
}
