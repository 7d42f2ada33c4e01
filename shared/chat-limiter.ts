/**
 * Sliding-window rate limit for one connection's chat: at most `maxMessages` accepted in any
 * `windowMs`. Refused messages do not count, so a spammer is not locked out for longer.
 * The server enforces it; the page runs the same rule so a refused line stays in the box.
 */
export class ChatLimiter {
  private accepted: number[] = [];

  constructor(
    private readonly maxMessages: number,
    private readonly windowMs: number,
  ) {}

  tryTake(nowMs: number): { ok: true } | { ok: false; retryAfterMs: number } {
    while (this.accepted.length > 0 && nowMs - this.accepted[0]! >= this.windowMs) this.accepted.shift();
    if (this.accepted.length >= this.maxMessages) {
      return { ok: false, retryAfterMs: this.accepted[0]! + this.windowMs - nowMs };
    }
    this.accepted.push(nowMs);
    return { ok: true };
  }
}
