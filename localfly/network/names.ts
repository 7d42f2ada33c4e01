import { randomBytes } from 'node:crypto';

/**
 * Names and addresses of what namespace mode creates. Everything carries a localfly prefix and the
 * run id, so clean-up never touches a foreign namespace or link, and two clusters (`npm start` and
 * the e2e suite, parallel tests) never share one.
 */
export const NETNS_PREFIX = 'localfly-';
export const LINK_PREFIX = 'lfly';
/** Where a run keeps its owner record and the sockets of its port agents. */
export const STATE_DIR = '/run/localfly';
/** Where `ip netns exec` finds the files it mounts over /etc for one namespace. */
export const NETNS_ETC_DIR = '/etc/netns';
/** Linux limits interface names to 15 bytes: `lfly` + 6-char run + `-` + 4 base-36 digits. */
export const MAX_MACHINE_INDEX = 36 ** 4 - 1;
/** First host id of a Machine address in the run's /64; below it sits the DNS address (::3). */
const FIRST_MACHINE_HOST = 0x100;

const RUN = /^[0-9a-f]{6}$/;

/** A new run id: 6 hex chars (24 random bits). */
export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

/** The compressed, lowercase text form of an IPv6 address (as Node reports socket addresses). */
export function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export interface RunNames {
  run: string;
  /** The bridge every Machine's veth is attached to (on the host). */
  bridge: string;
  /** The run's 6PN-like /64, e.g. `fdaa:0:3f:a2c1::/64`. */
  subnet: string;
  /** The host's address on the bridge: localfly's DNS for the Machines listens there (as fdaa::3 on Fly). */
  hostAddress: string;
  stateDir: string;
  ownerFile: string;
}

function assertRun(run: string): void {
  if (!RUN.test(run)) throw new RangeError(`run id must be 6 lowercase hex chars, got ${JSON.stringify(run)}`);
}

function prefix(run: string): string {
  return `fdaa:0:${run.slice(0, 2)}:${run.slice(2)}`;
}

export function runNames(run: string): RunNames {
  assertRun(run);
  const stateDir = `${STATE_DIR}/${run}`;
  return {
    run,
    bridge: `${LINK_PREFIX}${run}`,
    subnet: `${canonicalIpv6(`${prefix(run)}::`)}/64`,
    hostAddress: canonicalIpv6(`${prefix(run)}::3`),
    stateDir,
    ownerFile: `${stateDir}/owner.json`,
  };
}

export interface MachineNames {
  netns: string;
  /** The host end of the Machine's veth pair (its other end is `eth0` in the namespace). */
  veth: string;
  /** The Machine's private address (FLY_PRIVATE_IP, AAAA answers). */
  address: string;
  /** Files `ip netns exec` mounts over /etc in the namespace. */
  etcDir: string;
  /** Unix socket of the Machine's port agent. */
  agentSocket: string;
}

export function machineNames(run: string, id: string, index: number): MachineNames {
  assertRun(run);
  if (!Number.isInteger(index) || index < 0 || index > MAX_MACHINE_INDEX)
    throw new RangeError(`Machine index must be 0..${MAX_MACHINE_INDEX}, got ${index}`);
  const netns = `${NETNS_PREFIX}${run}-${id}`;
  const host = FIRST_MACHINE_HOST + index;
  return {
    netns,
    veth: `${LINK_PREFIX}${run}-${index.toString(36)}`,
    address: canonicalIpv6(`${prefix(run)}::${(host >>> 16).toString(16)}:${(host & 0xffff).toString(16)}`),
    etcDir: `${NETNS_ETC_DIR}/${netns}`,
    agentSocket: `${STATE_DIR}/${run}/${id}.sock`,
  };
}

/** The run a namespace (or /etc/netns directory) belongs to, or null when it is not localfly's. */
export function runOfNamespace(name: string): string | null {
  return /^localfly-([0-9a-f]{6})-[0-9a-f]{14}$/.exec(name)?.[1] ?? null;
}

/** The run a link (bridge or veth) belongs to, or null when it is not localfly's. */
export function runOfLink(name: string): string | null {
  return /^lfly([0-9a-f]{6})(?:-[0-9a-z]{1,4})?$/.exec(name)?.[1] ?? null;
}
