/** Fly's Machine states that localfly models (no `suspended`, no `created`). */
export type MachineState = 'starting' | 'started' | 'stopping' | 'stopped' | 'destroyed';

/** What DNS, the edges and the control API know about one Machine. */
export interface MachineView {
  /** 14 lowercase hex chars, stable across stop/start. */
  id: string;
  region: string;
  state: MachineState;
  /** Its own loopback address, e.g. 127.0.0.2: the app listens there. */
  address: string;
  /** The port the app listens on (Fly's `internal_port`). */
  port: number;
  /** Stand-in for the 6PN address: the IPv4-mapped form of `address`, e.g. ::ffff:127.0.0.2. */
  privateIp: string;
  /** Fly process group; always `app` here. */
  processGroup: string;
}
