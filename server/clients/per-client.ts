import { ChatLimiter } from '../../shared/chat-limiter.ts';

/**
 * Open connections per client (SSE feeds, watch sockets): a client over its cap is refused before it
 * costs a slot of the Machine's connection limit. Keys at zero are dropped, so memory follows live
 * connections only.
 */
export class ConnectionCaps {
  readonly #open = new Map<string, number>();

  constructor(readonly maxPerClient: number) {}

  tryAcquire(key: string): boolean {
    const open = this.#open.get(key) ?? 0;
    if (open >= this.maxPerClient) return false;
    this.#open.set(key, open + 1);
    return true;
  }

  release(key: string): void {
    const open = this.#open.get(key) ?? 0;
    if (open <= 1) this.#open.delete(key);
    else this.#open.set(key, open - 1);
  }

  openFor(key: string): number {
    return this.#open.get(key) ?? 0;
  }

  get clients(): number {
    return this.#open.size;
  }
}

/**
 * A sliding-window rate per client (stream creation, chat): at most `maxEvents` in any `windowMs`.
 * Idle clients are swept once the map passes `sweepAboveKeys`, so one attacker rotating addresses
 * cannot grow it without bound.
 */
export class RatePerClient {
  readonly #limiters = new Map<string, { limiter: ChatLimiter; lastMs: number }>();

  constructor(
    readonly maxEvents: number,
    readonly windowMs: number,
    private readonly sweepAboveKeys = 10_000,
  ) {}

  tryTake(key: string, nowMs: number): { ok: true } | { ok: false; retryAfterMs: number } {
    if (this.#limiters.size >= this.sweepAboveKeys) this.#sweep(nowMs);
    let entry = this.#limiters.get(key);
    if (entry === undefined) {
      entry = { limiter: new ChatLimiter(this.maxEvents, this.windowMs), lastMs: nowMs };
      this.#limiters.set(key, entry);
    }
    const result = entry.limiter.tryTake(nowMs);
    if (result.ok) entry.lastMs = nowMs;
    return result;
  }

  get clients(): number {
    return this.#limiters.size;
  }

  #sweep(nowMs: number): void {
    for (const [key, entry] of this.#limiters) {
      if (nowMs - entry.lastMs >= this.windowMs) this.#limiters.delete(key);
    }
  }
}
