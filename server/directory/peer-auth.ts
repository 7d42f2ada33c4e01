/** Who may call the private peer API: the rule (authVerdict) and the addresses it checks (PeerAuthorizer). */

import { timingSafeEqual } from 'node:crypto';
import { normalizeAddress } from './address.ts';

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface AuthQuestion {
  /** INTERNAL_TOKEN, or null when none is set (then only addresses count). */
  token: string | null;
  /** The caller's `authorization` header. */
  authorization: string | undefined;
  /** The caller is among the last known addresses of `<app>.internal`. */
  callerKnown: boolean;
  /** Time since `<app>.internal` was last looked up (Infinity before the first lookup). */
  sinceLookupMs: number;
  refreshMinIntervalMs: number;
}

/**
 * allow; deny; or look `<app>.internal` up again and ask whether the caller is among the new answers
 * (a Machine newer than the last lookup), but not more often than the limit.
 */
export type AuthVerdict = 'allow' | 'deny' | 'look-again';

export function authVerdict(q: AuthQuestion): AuthVerdict {
  if (q.token !== null && q.authorization !== undefined && sameSecret(q.authorization, `Bearer ${q.token}`)) {
    return 'allow';
  }
  if (q.callerKnown) return 'allow';
  return q.sinceLookupMs >= q.refreshMinIntervalMs ? 'look-again' : 'deny';
}

export interface PeerAuthorizerOptions {
  token: string | null;
  /** The AAAA answers of `<app>.internal`. */
  lookup: () => Promise<string[]>;
  refreshMinIntervalMs: number;
  now: () => number;
}

/**
 * Who may use the private peer API: a Machine of this app (its address is an AAAA answer of
 * `<app>.internal`) or a caller with the bearer token. Concurrent lookups share one query.
 */
export class PeerAuthorizer {
  private allowed = new Set<string>();
  private lookedUpAtMs = -Infinity;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly opts: PeerAuthorizerOptions) {}

  /** Looks `<app>.internal` up again; rejects when the lookup fails (the old addresses stay). */
  refresh(): Promise<void> {
    this.refreshing ??= this.opts
      .lookup()
      .then((answers) => {
        this.allowed = new Set(answers.map(normalizeAddress));
        this.lookedUpAtMs = this.opts.now();
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  async authorize(remote: string, authorization: string | undefined): Promise<boolean> {
    const caller = normalizeAddress(remote);
    const verdict = authVerdict({
      token: this.opts.token,
      authorization,
      callerKnown: this.allowed.has(caller),
      sinceLookupMs: this.opts.now() - this.lookedUpAtMs,
      refreshMinIntervalMs: this.opts.refreshMinIntervalMs,
    });
    if (verdict !== 'look-again') return verdict === 'allow';
    await this.refresh().catch(() => {});
    return this.allowed.has(caller);
  }
}
