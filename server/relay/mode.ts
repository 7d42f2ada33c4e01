import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { redactUrl } from './addresses.ts';

/** Debian's package installs it here; /usr/sbin is not on every user's PATH. */
export const DEBIAN_NATS_SERVER = '/usr/sbin/nats-server';
/** What to run to get one. */
export const INSTALL_HINT = 'apt-get install nats-server';

export type BinaryLookup = { found: true; path: string } | { found: false; reason: string };

/** NATS_SERVER_BIN when set (it must exist), else `nats-server` on PATH, else Debian's path. */
export function findNatsServer(
  setting: string | null,
  pathEnv: string | undefined,
  isExecutable: (path: string) => boolean = executable,
): BinaryLookup {
  if (setting !== null) {
    return isExecutable(setting)
      ? { found: true, path: setting }
      : { found: false, reason: `NATS_SERVER_BIN=${setting} is not an executable file` };
  }
  const path = findExecutable('nats-server', pathEnv, [DEBIAN_NATS_SERVER], isExecutable);
  return path === null
    ? { found: false, reason: `no nats-server on PATH nor at ${DEBIAN_NATS_SERVER}` }
    : { found: true, path };
}

/** `name` in the first PATH directory that has it executable, else the first of `fallbacks` that is. */
export function findExecutable(
  name: string,
  pathEnv: string | undefined,
  fallbacks: readonly string[],
  isExecutable: (path: string) => boolean = executable,
): string | null {
  const candidates = (pathEnv ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, name));
  return [...candidates, ...fallbacks].find((candidate) => isExecutable(candidate)) ?? null;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ModeInputs {
  natsUrl: string | null;
  natsServerBin: string | null;
  /** FLY_MACHINE_ID, FLY_REGION and FLY_APP_NAME are all set. */
  onFly: boolean;
  relaySecret: string | null;
  /** Where routes and gateways would listen (FLY_PRIVATE_IP); null when there is none. */
  peerHost: string | null;
}

export type RelayMode =
  | { kind: 'external'; url: string }
  /** `clustered`: routes and gateways to the other Machines; otherwise one server for this Machine alone. */
  | { kind: 'embedded'; bin: string; clustered: boolean }
  | { kind: 'off'; reason: string };

/** Decided once at start-up; `lookup` finds the binary (only asked when it matters). */
export function chooseMode(inputs: ModeInputs, lookup: () => BinaryLookup): RelayMode {
  if (inputs.natsUrl !== null) return { kind: 'external', url: inputs.natsUrl };
  if (inputs.natsServerBin === 'off') return { kind: 'off', reason: 'NATS_SERVER_BIN=off' };
  const binary = lookup();
  if (!binary.found) return { kind: 'off', reason: `${binary.reason}; to enable it: ${INSTALL_HINT}` };
  if (!inputs.onFly) return { kind: 'embedded', bin: binary.path, clustered: false };
  if (inputs.relaySecret === null) {
    return {
      kind: 'off',
      reason:
        'RELAY_SECRET is not set; routes and gateways need it (fly secrets set RELAY_SECRET=$(openssl rand -hex 32))',
    };
  }
  if (inputs.peerHost === null) {
    return {
      kind: 'off',
      reason: 'FLY_PRIVATE_IP is not a private address; routes and gateways have nowhere to listen',
    };
  }
  return { kind: 'embedded', bin: binary.path, clustered: true };
}

/** The one line logged at start-up. */
export function modeLine(mode: RelayMode): string {
  switch (mode.kind) {
    case 'external':
      return `nats: external cluster at ${redactUrl(mode.url)} (NATS_URL); no nats-server started here`;
    case 'embedded':
      return mode.clustered
        ? `nats: embedded ${mode.bin}, one server per Machine, clustered with the other Machines`
        : `nats: embedded ${mode.bin}, standalone (not on Fly: no routes or gateways)`;
    case 'off':
      return `nats: off (${mode.reason}); everything else works without it`;
  }
}
