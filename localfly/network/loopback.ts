import { loopbackAddress, mappedIpv6 } from '../machines/addresses.ts';
import { reservePort } from '../machines/ports.ts';
import { LOOPBACK_LIMITS } from './support.ts';
import type { ClusterNetwork, MachineNet } from './types.ts';

/**
 * Loopback mode: every Machine on a loopback address of its own (127.0.0.2, .3, ...) in the host's
 * network, told where to listen (HOST) and which DNS server to ask (FLY_DNS_SERVER).
 */
export class LoopbackNetwork implements ClusterNetwork {
  readonly mode = 'loopback' as const;
  readonly summary: string;
  readonly machineDns = null;
  readonly runId = null;
  readonly #addressBase: string;
  readonly #dnsServer: () => string;

  /** `why`: the reason namespace mode was not used, for the start line. */
  constructor(addressBase: string, dnsServer: () => string, why: string) {
    this.#addressBase = addressBase;
    this.#dnsServer = dnsServer;
    this.summary = `loopback (${why}); ${LOOPBACK_LIMITS}`;
    // Fail now, not at the first Machine, on a base outside 127/8.
    loopbackAddress(addressBase, 0);
  }

  async attach(machine: { id: string; index: number; port: number }): Promise<MachineNet> {
    const address = loopbackAddress(this.#addressBase, machine.index);
    const port = machine.port === 0 ? await reservePort(address, 0, 'Machine port') : machine.port;
    return {
      address,
      privateIp: mappedIpv6(address),
      port,
      netns: null,
      dial: null,
      ready: async () => undefined,
      wrap: (command) => [...command],
      env: { HOST: address, FLY_DNS_SERVER: this.#dnsServer() },
    };
  }

  async detach(): Promise<void> {}

  async close(): Promise<void> {}
}
