/** Who relays streams past their home: RELAY_MODE (README "Regional relays"). */
export type RelayMode = 'off' | 'overflow' | 'regional';
export const RELAY_MODES: readonly RelayMode[] = ['off', 'overflow', 'regional'];

/** The relayed plugin's settings: `config.relayed`. */
export interface RelayedOptions {
  mode: RelayMode;
  /**
   * RELAY_OVERFLOW_VIEWERS: in `overflow` mode a home with this many viewers in total sends new ones to a
   * relay; in every mode a Machine with this many viewer sockets has no room to relay more.
   */
  overflowViewers: number;
  /** RELAY_LINGER_MS: a relay keeps a stream subscribed this long after its last viewer leaves. */
  lingerMs: number;
  /** RELAY_JOIN_TIMEOUT_MS: a home that does not answer a join within this long is given up (viewers ask again). */
  joinTimeoutMs: number;
  /** RELAY_HEARTBEAT_MS: a relay re-sends its viewer count this often; the home forgets one silent for 3 of them. */
  heartbeatMs: number;
  /** MAX_STREAM_VIEWERS (the directory's): a relay's count above it is refused; the total is advertised up to it. */
  maxStreamViewers: number;
  /** RELAY_CHAT_MAX_MESSAGES: a home takes at most this many chat messages per chat window from all of a stream's relays. */
  chatMaxMessages: number;
  /** RELAY_HELD_CHAT_MAX: a relayed stream holds at most this many chat messages while its way to the home is down. */
  heldChatMax: number;
}
