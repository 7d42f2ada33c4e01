import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Who answers on a port in loopback mode, read from /proc: all Machines share the host's network
 * there, so a connection to one Machine's address can be answered by another Machine's wildcard
 * socket. A Machine counts as started only when its own socket answers.
 */
export interface Listener {
  /** 127.0.0.3, ::1, 0.0.0.0, :: (IPv4-mapped addresses are given as IPv4). */
  address: string;
  port: number;
  inode: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
const LISTEN_STATE = '0A';

function hexIpv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  // /proc prints the address as a host-order (little-endian) word.
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

function hexIpv6(hex: string): string {
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => word.slice(i, i + 2));
    groups.push(bytes[0]! + bytes[1]!, bytes[2]! + bytes[3]!);
  }
  const text = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (mapped === null) return text;
  const hi = Number.parseInt(mapped[1]!, 16);
  const lo = Number.parseInt(mapped[2]!, 16);
  return [hi >>> 8, hi & 0xff, lo >>> 8, lo & 0xff].join('.');
}

/** The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNet(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, , state] = [fields[1], fields[2], fields[3]];
    const inode = Number(fields[9]);
    if (local === undefined || state !== LISTEN_STATE || !Number.isInteger(inode)) continue;
    const [hex, portHex] = local.split(':') as [string, string | undefined];
    if (portHex === undefined || (hex.length !== 8 && hex.length !== 32)) continue;
    out.push({
      address: hex.length === 8 ? hexIpv4(hex) : hexIpv6(hex),
      port: Number.parseInt(portHex, 16),
      inode,
    });
  }
  return out;
}

export type Answerer = { kind: 'none' } | { kind: 'own' | 'other'; listener: Listener; wildcard: boolean };

/**
 * Which socket the kernel gives a connection to address:port: one bound to that very address
 * first, else a wildcard one (IPv4 before IPv6, as Linux scores them). `own` holds the socket
 * inodes of the Machine's processes.
 */
export function whoAnswers(
  address: string,
  port: number,
  listeners: readonly Listener[],
  own: ReadonlySet<number>,
): Answerer {
  const onPort = listeners.filter((l) => l.port === port);
  const pick =
    onPort.find((l) => l.address === address) ??
    onPort.find((l) => l.address === '0.0.0.0') ??
    onPort.find((l) => l.address === '::');
  if (pick === undefined) return { kind: 'none' };
  return { kind: own.has(pick.inode) ? 'own' : 'other', listener: pick, wildcard: WILDCARDS.has(pick.address) };
}

/** Listening TCP sockets of this host (its network namespace); null when /proc cannot tell (not Linux). */
export function readListeners(): Listener[] | null {
  try {
    const v4 = readFileSync('/proc/net/tcp', 'utf8');
    let v6 = '';
    try {
      v6 = readFileSync('/proc/net/tcp6', 'utf8');
    } catch {
      // No IPv6.
    }
    return [...parseProcNet(v4), ...parseProcNet(v6)];
  } catch {
    return null;
  }
}

/** Socket inodes held by the processes of one process group. */
export function socketInodes(pgid: number): Set<number> {
  const inodes = new Set<number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return inodes;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 5 (pgrp) comes after the name, which may hold spaces and parentheses.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m !== null) inodes.add(Number(m[1]));
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return inodes;
}
