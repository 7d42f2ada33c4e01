import { randomBytes } from 'node:crypto';

/** A new Fly-style Machine id: 14 lowercase hex chars, not one of `taken`. */
export function newMachineId(taken: (id: string) => boolean = () => false): string {
  for (;;) {
    const id = randomBytes(7).toString('hex');
    if (!taken(id)) return id;
  }
}

function toInt(ipv4: string): number | null {
  const parts = ipv4.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/**
 * The loopback address `index` places after `base` (127.0.0.2, 127.0.0.3, ...). Linux routes all
 * of 127.0.0.0/8 to the loopback interface, so every Machine gets an address of its own without
 * any setup. Throws for a base outside 127/8 or a result past its end.
 */
export function loopbackAddress(base: string, index: number): string {
  const start = toInt(base);
  if (start === null || start >>> 24 !== 127)
    throw new RangeError(`address base must be an IPv4 loopback address (127.x.y.z), got ${JSON.stringify(base)}`);
  const n = start + index;
  if (n >>> 24 !== 127) throw new RangeError(`no loopback address left after ${base} + ${index}`);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** The IPv4-mapped IPv6 form (::ffff:127.0.0.2): what AAAA answers and FLY_PRIVATE_IP carry locally. */
export function mappedIpv6(ipv4: string): string {
  return `::ffff:${ipv4}`;
}

/** `[fdaa:0:3f:a2c1::100]:8080` or `127.0.0.2:8080`. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
