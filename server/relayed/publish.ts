import type { NatsConnection } from '@nats-io/transport-node';
import type { Log } from '../streams/log.ts';

/**
 * Publishes without throwing: a connection that is closing or closed refuses publishes, and a stream's
 * viewers must not notice that its relays are gone. False when it was not sent.
 */
export function publishQuietly(nc: NatsConnection, subject: string, data: Uint8Array | string, log: Log): boolean {
  try {
    nc.publish(subject, data);
    return true;
  } catch (err) {
    log.debug({ subject, err: (err as Error).message }, 'nats: publish refused');
    return false;
  }
}

/** Same, with a reply subject (the join request). */
export function requestQuietly(nc: NatsConnection, subject: string, reply: string, data: string, log: Log): boolean {
  try {
    nc.publish(subject, data, { reply });
    return true;
  } catch (err) {
    log.debug({ subject, err: (err as Error).message }, 'nats: publish refused');
    return false;
  }
}
