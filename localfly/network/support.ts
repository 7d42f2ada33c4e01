import { readFileSync } from 'node:fs';

/** The network a cluster runs on. `auto` takes namespaces when it can, else loopback. */
export type NetworkChoice = 'auto' | 'netns' | 'loopback';
export type NetworkMode = 'netns' | 'loopback';
export const NETWORK_CHOICES: readonly NetworkChoice[] = ['auto', 'netns', 'loopback'];

/** Capabilities `ip netns` needs: network setup, and the mounts of `ip netns add` and `ip netns exec`. */
const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

export interface Host {
  platform: string;
  /** Effective capability mask of this process (CapEff in /proc/self/status), null when unknown. */
  capEff: bigint | null;
}

/** Whether this process may create network namespaces; the reason when it may not. */
export function namespaceSupport(host: Host): { ok: true } | { ok: false; reason: string } {
  if (host.platform !== 'linux')
    return { ok: false, reason: `network namespaces are Linux only (this is ${host.platform})` };
  if (host.capEff === null) return { ok: false, reason: 'cannot read this process capabilities (/proc/self/status)' };
  const has = (cap: number) => (host.capEff! >> BigInt(cap)) & 1n;
  if (!has(CAP_NET_ADMIN) || !has(CAP_SYS_ADMIN))
    return { ok: false, reason: 'not root (network namespaces need CAP_NET_ADMIN and CAP_SYS_ADMIN)' };
  return { ok: true };
}

/** This process: its platform and effective capabilities. */
export function thisHost(): Host {
  let capEff: bigint | null = null;
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hex !== undefined) capEff = BigInt(`0x${hex}`);
  } catch {
    // Not Linux, or no /proc.
  }
  return { platform: process.platform, capEff };
}

/** What loopback mode cannot emulate, for the start line and errors. */
export const LOOPBACK_LIMITS =
  'Machines share the host network: wildcard binds (0.0.0.0, ::) and the system resolver are not emulated; apps must bind HOST and ask FLY_DNS_SERVER';
