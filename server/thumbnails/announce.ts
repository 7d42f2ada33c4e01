import type { Clock } from '../streams/clock.ts';
import { Throttle } from '../streams/throttle.ts';

/**
 * When this Machine's snapshot takes in its own new thumbnails (each time is one snapshot push to every
 * peer): a stream's first thumbnail at once, so its card stops showing the placeholder quickly; newer
 * ones at most once per `intervalMs` (the first at once, those within the interval together at its end).
 */
export class Announcer {
  private readonly throttle: Throttle;
  private readonly announced = new Set<string>();

  constructor(
    intervalMs: number,
    private readonly announce: () => void,
    clock: Clock,
  ) {
    this.throttle = new Throttle(intervalMs, announce, clock);
  }

  /** The store changed; `ids` are the streams that have a thumbnail now. */
  changed(ids: Iterable<string>): void {
    const now = new Set(ids);
    let first = false;
    for (const id of now) if (!this.announced.has(id)) first = true;
    this.announced.clear();
    for (const id of now) this.announced.add(id);
    if (first) this.announce();
    else this.throttle.trigger();
  }

  cancel(): void {
    this.throttle.cancel();
  }
}
