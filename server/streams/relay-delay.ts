/** How long a relay delay is remembered, so acks for a burst the relay sent late can come back. */
export const RELAY_DELAY_HOLD_MS = 3_000;
/** The baseline (fastest arrival) is the minimum over this window, so a clock drift cannot pin it. */
export const RELAY_DELAY_WINDOW_MS = 10_000;

/**
 * How far behind the publisher's clock the relay itself is handling frames. After the event loop
 * was held up (a long send burst, GC), frames that queued in the kernel are relayed in one go and
 * the viewers' acks for them are still unread: that lag is the relay's, not the viewers', so it is
 * subtracted before the lag rule judges a viewer. Measured as this frame's (arrival - timestamp)
 * above the smallest such offset seen recently; the peak is held for RELAY_DELAY_HOLD_MS.
 */
export class RelayDelay {
  private currentMinMs = Infinity;
  private previousMinMs = Infinity;
  private windowStartMs: number | null = null;
  private peakMs = 0;
  private peakAtMs = 0;

  observe(nowMs: number, timestampUs: number): number {
    if (this.windowStartMs === null || nowMs - this.windowStartMs >= RELAY_DELAY_WINDOW_MS) {
      this.previousMinMs = this.currentMinMs;
      this.currentMinMs = Infinity;
      this.windowStartMs = nowMs;
    }
    const offsetMs = nowMs - timestampUs / 1000;
    this.currentMinMs = Math.min(this.currentMinMs, offsetMs);
    const delayMs = offsetMs - Math.min(this.currentMinMs, this.previousMinMs);
    if (delayMs >= this.peakMs || nowMs - this.peakAtMs > RELAY_DELAY_HOLD_MS) {
      this.peakMs = delayMs;
      this.peakAtMs = nowMs;
    }
    return this.peakMs;
  }

  /** A new publisher timeline: old offsets mean nothing. */
  reset(): void {
    this.currentMinMs = Infinity;
    this.previousMinMs = Infinity;
    this.windowStartMs = null;
    this.peakMs = 0;
  }
}
