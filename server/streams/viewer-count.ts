import type { Clock } from './clock.ts';
import { Throttle } from './throttle.ts';

/**
 * A home's total viewer count: its own viewers plus those of the Machines relaying the stream. Changes
 * are announced at most once per interval (to every viewer, here and relayed, and the directory).
 */
export class ViewerCount {
  private relayed = 0;
  private readonly throttle: Throttle;

  constructor(
    private readonly local: () => number,
    intervalMs: number,
    clock: Clock,
    announce: (total: number) => void,
  ) {
    this.throttle = new Throttle(intervalMs, () => announce(this.total), clock);
  }

  /** Viewers everywhere: here and on the relays. */
  get total(): number {
    return this.local() + this.relayed;
  }

  /** The relays' viewers (summed over every relay); announced when it changed. */
  setRelayed(count: number): void {
    if (count === this.relayed) return;
    this.relayed = count;
    this.throttle.trigger();
  }

  /** The viewers here changed. */
  changed(): void {
    this.throttle.trigger();
  }

  cancel(): void {
    this.throttle.cancel();
  }
}
