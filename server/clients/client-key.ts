import { isIPv6 } from 'node:net';

/**
 * Who a request comes from, for per-client limits. On Fly the proxy writes `fly-client-ip` (a client's own
 * value is replaced at the edge); off Fly only the socket address can be trusted. An IPv6 client is keyed by
 * its /64, the block one household or host is given, so rotating addresses inside it buys nothing.
 */
export function clientKey(flyClientIp: string | undefined, socketAddress: string | undefined, onFly: boolean): string {
  const raw = onFly && flyClientIp !== undefined && flyClientIp !== '' ? flyClientIp.trim() : (socketAddress ?? '');
  const mapped = raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
  if (!isIPv6(mapped)) return mapped === '' ? 'unknown' : mapped;
  return `${ipv6Prefix64(mapped)}::/64`;
}

/** The first four groups of an IPv6 address, expanded (`2001:db8::1` -> `2001:db8:0:0`). */
function ipv6Prefix64(address: string): string {
  const [head = '', tail = ''] = address.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return groups
    .slice(0, 4)
    .map((g) => (g.replace(/^0+/, '') || '0').toLowerCase())
    .join(':');
}
