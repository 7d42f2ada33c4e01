import type { Clock, TimerHandle } from './clock.ts';

/**
 * Runs `fn` at most once per `intervalMs`: the first trigger runs at once, triggers during the
 * interval collapse into one trailing run at its end (so the last change is never lost).
 */
export class Throttle {
  private timer: TimerHandle | null = null;
  private pending = false;

  constructor(
    private readonly intervalMs: number,
    private readonly fn: () => void,
    private readonly clock: Clock,
  ) {}

  trigger(): void {
    if (this.timer !== null) {
      this.pending = true;
      return;
    }
    this.fn();
    this.startCooldown();
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.pending = false;
  }

  private startCooldown(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.pending) {
        this.pending = false;
        this.fn();
        this.startCooldown();
      }
    }, this.intervalMs);
  }
}

/** Leading-edge only: `tryTake(now)` is true at most once per interval (keyframe requests). */
export class RateGate {
  private lastMs = -Infinity;

  constructor(private readonly intervalMs: number) {}

  tryTake(nowMs: number): boolean {
    if (nowMs - this.lastMs < this.intervalMs) return false;
    this.lastMs = nowMs;
    return true;
  }
}

/** A one-shot timer that each start() pushes back: "end the stream if nobody publishes within ms". */
export class Deadline {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly fn: () => void,
  ) {}

  start(ms: number): void {
    this.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.fn();
    }, ms);
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
