import type { NetworkMode } from './support.ts';

/** The port a Machine gets when it asked for 0 and has a network namespace of its own (all ports are free there). */
export const NAMESPACE_DEFAULT_PORT = 8080;

/** One Machine's place on the cluster network. */
export interface MachineNet {
  /** Where the host reaches the Machine: its 6PN-like address (namespace mode) or its loopback address. */
  address: string;
  /** FLY_PRIVATE_IP and what AAAA answers carry. */
  privateIp: string;
  /** The app's port (PORT). */
  port: number;
  /** Its network namespace, in namespace mode. */
  netns: string | null;
  /** Unix socket of its port agent (namespace mode): how the edges reach its IPv4 port. */
  dial: string | null;
  /**
   * Resolves once the host can reach the Machine's port (namespace mode: its port agent runs);
   * awaited while the app boots, so the two start side by side. Rejects with the reason it cannot.
   */
  ready(): Promise<void>;
  /** The argv that runs `command` inside the Machine's network. */
  wrap(command: readonly string[]): string[];
  /** Environment this mode adds to Fly's (loopback: HOST and FLY_DNS_SERVER). */
  env: Readonly<Record<string, string>>;
}

/** Where Machines live: their own network namespaces, or loopback addresses of the host. */
export interface ClusterNetwork {
  readonly mode: NetworkMode;
  /** One line for the start banner: the mode, why it was chosen, what it emulates or cannot. */
  readonly summary: string;
  /** The address localfly's DNS must also listen on for the Machines (namespace mode: port 53 on the bridge). */
  readonly machineDns: { host: string; port: number } | null;
  /** The run id in every name this network creates (namespace mode). */
  readonly runId: string | null;
  /** A Machine's network, created on first use and kept across stop and start. */
  attach(machine: { id: string; index: number; port: number }): Promise<MachineNet>;
  /** Removes a Machine's network (when it is destroyed). */
  detach(id: string): Promise<void>;
  /** Removes everything this network created. Safe to call twice. */
  close(): Promise<void>;
}
