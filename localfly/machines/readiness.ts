import { LocalflyError } from '../listen.ts';
import { dialMachine } from '../network/dial.ts';
import { type Answerer, readListeners, socketInodes, whoAnswers } from './listeners.ts';
import { CONNECT_ATTEMPT_TIMEOUT_MS, PORT_POLL_INTERVAL_MS, tryConnect } from './ports.ts';

/**
 * A Machine refused because of a wildcard bind in loopback mode: its own (it would take every
 * Machine's port) or another's answering for it. Preferred over other errors when a cluster fails.
 */
export class WildcardBindError extends LocalflyError {
  override name = 'WildcardBindError';
}

/** One readiness check: listening (yes), not yet (no), or listening in a way that cannot work (refused). */
export type ProbeResult = 'yes' | 'no' | { refused: string };
export type Probe = () => Promise<ProbeResult>;

export type Readiness =
  | { kind: 'ready' }
  | { kind: 'exited' }
  | { kind: 'timeout' }
  | { kind: 'refused'; message: string }
  /** Its network could not be made ready (namespace mode: its port agent did not start). */
  | { kind: 'unreachable'; message: string };

/**
 * Polls `probe` until the Machine is ready, refused, its process exited (`exited()`), or `deadline`
 * (epoch ms) passes. Polling is the only portable readiness signal for an arbitrary command; every
 * attempt is bounded.
 */
export async function waitUntilReady(probe: Probe, deadline: number, exited: () => boolean): Promise<Readiness> {
  while (!exited() && Date.now() < deadline) {
    const result = await probe();
    if (exited()) break;
    if (result === 'yes') return { kind: 'ready' };
    if (result !== 'no') return { kind: 'refused', message: result.refused };
    await new Promise((resolve) => setTimeout(resolve, PORT_POLL_INTERVAL_MS));
  }
  return exited() ? { kind: 'exited' } : { kind: 'timeout' };
}

/** Namespace mode: the Machine's own port, inside its own namespace (nothing else can answer there). */
export function namespaceProbe(agentSocket: string): Probe {
  return () =>
    dialMachine(agentSocket, CONNECT_ATTEMPT_TIMEOUT_MS).then(
      (socket) => {
        socket.destroy();
        return 'yes';
      },
      () => 'no',
    );
}

const LOOPBACK_HINT =
  'in loopback mode all Machines share the host network; bind HOST (the Machine address), or run localfly as root so every Machine gets a network namespace of its own';

/** What a loopback Machine's readiness is, given who answers on its address and port. Pure. */
export function loopbackVerdict(
  answer: Answerer,
  o: { machine: string; address: string; port: number; sharedPort: boolean; holder: () => string },
): ProbeResult {
  if (answer.kind === 'none') return 'no';
  const bound = `${answer.listener.address.includes(':') ? `[${answer.listener.address}]` : answer.listener.address}:${o.port}`;
  if (answer.kind === 'own') {
    if (!answer.wildcard || !o.sharedPort) return 'yes';
    return {
      refused: `Machine ${o.machine} listens on ${bound}, every address of the host, so it would take the port of every other Machine (${LOOPBACK_HINT})`,
    };
  }
  if (answer.wildcard)
    return {
      refused: `Machine ${o.machine}: ${o.address}:${o.port} is answered by ${o.holder()}, which listens on ${bound}, not by the Machine itself (${LOOPBACK_HINT})`,
    };
  return {
    refused: `Machine ${o.machine}: ${o.address}:${o.port} is answered by ${o.holder()}, not by the Machine itself`,
  };
}

export interface LoopbackProbeOptions {
  machine: string;
  address: string;
  port: number;
  /** The Machine's process group. */
  pgid: () => number | null;
  /** All Machines listen on one port number (a wildcard bind then takes every Machine's port). */
  sharedPort: boolean;
  /** The other Machines, to name the one whose socket answers. */
  others: () => Array<{ label: string; pgid: number | null }>;
}

/** Loopback mode: the port accepts connections, and the socket that accepts them is the Machine's own. */
export function loopbackProbe(o: LoopbackProbeOptions): Probe {
  return async () => {
    if (!(await tryConnect(o.address, o.port))) return 'no';
    const listeners = readListeners();
    const pgid = o.pgid();
    // Without /proc (not Linux) there is no telling who answered: the connection has to do.
    if (listeners === null || pgid === null) return 'yes';
    const answer = whoAnswers(o.address, o.port, listeners, socketInodes(pgid));
    const holder = () => {
      if (answer.kind === 'none') return 'another process';
      for (const other of o.others())
        if (other.pgid !== null && socketInodes(other.pgid).has(answer.listener.inode)) return other.label;
      return 'another process';
    };
    return loopbackVerdict(answer, { ...o, holder });
  };
}
