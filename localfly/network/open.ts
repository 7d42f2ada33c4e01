import { LocalflyError } from '../listen.ts';
import { LoopbackNetwork } from './loopback.ts';
import { type CleanupRegistry, NetnsNetwork } from './netns.ts';
import { cleanStaleRuns, type RunResources } from './stale.ts';
import { type NetworkChoice, namespaceSupport, thisHost } from './support.ts';
import type { ClusterNetwork } from './types.ts';

export interface OpenNetworkOptions {
  choice: NetworkChoice;
  addressBase: string;
  /** host:port of localfly's DNS on the host, for FLY_DNS_SERVER in loopback mode (known once it listens). */
  dnsServer: () => string;
  cleanup: CleanupRegistry;
  /** Told of leftovers of crashed earlier runs that were removed. */
  onStaleRemoved?: (removed: RunResources[]) => void;
}

/**
 * The cluster's network: namespaces when asked for or (`auto`) when this process may create them,
 * else loopback. Asking for namespaces where they cannot be made is an error, never a silent fallback.
 */
export async function openNetwork(o: OpenNetworkOptions): Promise<ClusterNetwork> {
  if (o.choice === 'loopback')
    return new LoopbackNetwork(o.addressBase, o.dnsServer, 'asked for with --network loopback');
  const support = namespaceSupport(thisHost());
  let reason: string;
  if (support.ok) {
    try {
      const removed = await cleanStaleRuns();
      if (removed.length > 0) o.onStaleRemoved?.(removed);
      return await NetnsNetwork.open(o.cleanup);
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
  } else {
    reason = support.reason;
  }
  if (o.choice === 'netns') throw new LocalflyError(`namespace mode is not available here: ${reason}`);
  return new LoopbackNetwork(o.addressBase, o.dnsServer, reason);
}
