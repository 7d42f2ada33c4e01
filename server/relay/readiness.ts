import type { RelayReadiness } from '../../shared/directory-api.ts';

/** Whether this Machine can take relay work: what the directory snapshot, the log and the metrics say. */
export type RelayStatus = RelayReadiness;

export interface ReadinessInputs {
  mode: 'external' | 'embedded' | 'off';
  /** Embedded: the nats-server child is up (said "Server is ready" and has not exited). */
  serverRunning: boolean;
  /** The app's own client connection is up. */
  clientConnected: boolean;
  /** Other Machines this one should be linked with (from discovery); 0 alone or standalone. */
  expectedPeers: number;
  /** Routes plus outbound gateways connected, from the last monitoring poll. */
  links: number;
}

/**
 * ok: the app is connected and, when there are other Machines, its server is linked to at least one
 * of them (a Machine refused by every peer, e.g. with a wrong RELAY_SECRET, is down). Not "linked to
 * all of them": one Machine being gone must not make every other Machine unready.
 */
export function relayStatus(i: ReadinessInputs): { status: RelayStatus; reason: string } {
  if (i.mode === 'off') return { status: 'off', reason: 'NATS is off' };
  if (i.mode === 'embedded' && !i.serverRunning) return { status: 'down', reason: 'nats-server is not running' };
  if (!i.clientConnected) return { status: 'down', reason: 'not connected to NATS' };
  if (i.mode === 'embedded' && i.expectedPeers > 0 && i.links === 0) {
    return { status: 'down', reason: `no route or gateway to any of ${i.expectedPeers} other Machines` };
  }
  return { status: 'ok', reason: 'connected' };
}
