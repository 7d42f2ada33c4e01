/**
 * At most this many relayed viewers' chat messages wait on a relay while its path to the home is not
 * proven (before the join answer, or while NATS is away until the rejoin answer); past it, chat is
 * refused with a retry (`rate-limited`), never dropped in silence.
 */
export const RELAY_HELD_CHAT_MAX = 20;

/**
 * Relayed viewers' chat on its way to the home, which numbers it. NATS core delivers at most once: a
 * message published while the relay's nats-server is down, or just back with its routes to the home not
 * yet formed, reaches no one. So chat goes straight out only while the home has answered a join since
 * NATS last went away; otherwise it is held, in order, and sent when the next join answer proves the way.
 */
export class ChatToHome {
  private held: Uint8Array[] = [];
  private linkUp = false;

  /** `send`: false when the message could not be handed to NATS (the connection is closed). */
  constructor(
    private readonly send: (bytes: Uint8Array) => boolean,
    private readonly max = RELAY_HELD_CHAT_MAX,
  ) {}

  get heldCount(): number {
    return this.held.length;
  }

  /** The home answered a join: what was held goes now, oldest first. */
  up(): void {
    this.linkUp = true;
    while (this.held.length > 0) {
      if (!this.send(this.held[0]!)) {
        this.linkUp = false;
        return;
      }
      this.held.shift();
    }
  }

  /** NATS went away: hold chat until the next join answer. */
  down(): void {
    this.linkUp = false;
  }

  /** Sent or held: true. Neither (the hold is full): false, and the caller refuses it. */
  offer(bytes: Uint8Array): boolean {
    if (this.linkUp && this.send(bytes)) return true;
    this.linkUp = false;
    if (this.held.length >= this.max) return false;
    this.held.push(bytes);
    return true;
  }
}
