/** Fly's Machine states that localfly models (no `suspended`, no `created`). */
export type MachineState = 'starting' | 'started' | 'stopping' | 'stopped' | 'destroyed';

/** What DNS, the edges and the control API know about one Machine. */
export interface MachineView {
  /** 14 lowercase hex chars, stable across stop/start. */
  id: string;
  region: string;
  state: MachineState;
  /** Where the host reaches it: its private address in its own network namespace (namespace mode), or its own loopback address, e.g. 127.0.0.2. */
  address: string;
  /** The port the app listens on (Fly's `internal_port`). */
  port: number;
  /** The 6PN address (FLY_PRIVATE_IP, AAAA answers): `address` in namespace mode, its IPv4-mapped form (::ffff:127.0.0.2) in loopback mode. */
  privateIp: string;
  /** Namespace mode: the unix socket of the Machine's port agent, through which the edges reach its IPv4 port (as Fly's proxy does). */
  dial?: string;
  /** Fly process group; always `app` here. */
  processGroup: string;
}
