import { isIP } from 'node:net';

/**
 * One spelling per address, so a caller's socket address can be compared with a DNS answer:
 * IPv6 compressed and lower-case (via the URL parser), IPv4-mapped IPv6 (`::ffff:127.0.0.2`, which
 * localfly's AAAA answers carry and dual-stack sockets report) as plain IPv4. Not an IP: returned as is.
 */
export function normalizeAddress(address: string): string {
  const kind = isIP(address);
  if (kind === 4) return address;
  if (kind !== 6) return address;
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped === null) return canonical;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** True when HOST names one address (then outgoing peer requests leave from it), not a wildcard or a name. */
export function isSpecificAddress(host: string): boolean {
  return isIP(host) !== 0 && host !== '::' && host !== '0.0.0.0';
}

export interface ConnectTarget {
  host: string;
  family: 4 | 6;
  localAddress?: string;
}

/**
 * How to reach a peer at `peer` (a DNS answer) from a Machine bound to `selfHost`. Mapped IPv4 is
 * dialled as IPv4 (a socket cannot mix families). The source address is pinned to `selfHost` when that is
 * one address of the same family: under localfly the kernel would otherwise pick 127.0.0.1 and the peer's
 * "caller must be one of `<app>.internal`" check would refuse us.
 */
export function connectTarget(peer: string, selfHost: string): ConnectTarget {
  const host = normalizeAddress(peer);
  const family = isIP(host) === 4 ? 4 : 6;
  if (!isSpecificAddress(selfHost)) return { host, family };
  const local = normalizeAddress(selfHost);
  return (isIP(local) === 4 ? 4 : 6) === family ? { host, family, localAddress: local } : { host, family };
}
