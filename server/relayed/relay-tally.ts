/**
 * The home's sum of its relays' viewers. Each relay reports its count on change and every heartbeat;
 * a relay that stops reporting (its Machine died, its NATS link is down) drops out after `ttlMs`.
 */
export class RelayTally {
  private readonly counts = new Map<string, { viewers: number; atMs: number }>();

  constructor(private readonly ttlMs: number) {}

  set(machineId: string, viewers: number, nowMs: number): void {
    if (viewers === 0) this.counts.delete(machineId);
    else this.counts.set(machineId, { viewers, atMs: nowMs });
  }

  /** Viewers of the relays heard from within the last `ttlMs`; older ones are forgotten. */
  total(nowMs: number): number {
    let sum = 0;
    for (const [machineId, count] of this.counts) {
      if (nowMs - count.atMs > this.ttlMs) this.counts.delete(machineId);
      else sum += count.viewers;
    }
    return sum;
  }

  /** What one relay last reported (0 when it has not, or let go). */
  countOf(machineId: string): number {
    return this.counts.get(machineId)?.viewers ?? 0;
  }

  get relays(): number {
    return this.counts.size;
  }
}
