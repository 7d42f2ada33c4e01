/** One peer's push state: a push on the wire, and whether a change came in meanwhile. */
export interface PushSlot {
  inFlight: boolean;
  pending: boolean;
}

export interface PushStep {
  slot: PushSlot;
  /** Send the newest snapshot now. */
  send: boolean;
}

export const IDLE: PushSlot = { inFlight: false, pending: false };

/** A local change: send at once when nothing is on the wire, else remember that one more is due. */
export function onChange(slot: PushSlot): PushStep {
  if (slot.inFlight) return { slot: { inFlight: true, pending: true }, send: false };
  return { slot: { inFlight: true, pending: false }, send: true };
}

export interface SettledStep {
  slot: PushSlot;
  /** Changes came in meanwhile: push again, as for one new change. */
  again: boolean;
}

/**
 * The push on the wire settled (sent or failed): changes that came in meanwhile collapse into one more
 * push of the newest snapshot, unless the directory is stopping (its own final push covers them).
 */
export function onSettled(slot: PushSlot, stopped: boolean): SettledStep {
  if (slot.pending && !stopped) return { slot: IDLE, again: true };
  return { slot: { inFlight: false, pending: slot.pending }, again: false };
}

/**
 * At most one push in flight per peer; changes meanwhile collapse into one more push of the latest.
 * `send` never rejects (a failed push is covered by the peer's next pull).
 */
export class PushCoalescer {
  private readonly slots = new Map<string, { slot: PushSlot }>();

  constructor(
    private readonly send: (id: string) => Promise<void>,
    private readonly stopped: () => boolean,
  ) {}

  push(id: string): void {
    let held = this.slots.get(id);
    if (held === undefined) {
      held = { slot: IDLE };
      this.slots.set(id, held);
    }
    const step = onChange(held.slot);
    held.slot = step.slot;
    if (!step.send) return;
    const settling = held;
    void this.send(id).finally(() => {
      const settled = onSettled(settling.slot, this.stopped());
      settling.slot = settled.slot;
      // Through push(), not straight to send: a peer forgotten meanwhile starts a fresh slot.
      if (settled.again) this.push(id);
    });
  }

  /** Drops the state of peers `keep` rejects (a push still on the wire settles harmlessly). */
  retain(keep: (id: string) => boolean): void {
    for (const id of [...this.slots.keys()]) if (!keep(id)) this.slots.delete(id);
  }
}
