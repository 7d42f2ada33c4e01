import type { FastifyBaseLogger } from 'fastify';
import type { PeerLink } from './peer-link.ts';
import { PushCoalescer } from './push-coalescer.ts';
import type { DirectoryCounters } from './stats.ts';

export interface PeerPushOptions {
  link: PeerLink;
  /** This Machine's snapshot as JSON, read when each push leaves (so it is the newest). */
  body: () => string;
  counters: DirectoryCounters;
  log: FastifyBaseLogger;
  peerTimeoutMs: number;
  /** Stopping: changes still pending are not pushed (the shutdown push covers them). */
  stopped: () => boolean;
}

/**
 * Pushes this Machine's snapshot to peers: on each change through the coalescer (at most one push in
 * flight per peer), at shutdown to every peer at once. Never throws: a failed push is covered by the
 * peer's next pull.
 */
export class PeerPush {
  private readonly coalescer: PushCoalescer;

  constructor(private readonly opts: PeerPushOptions) {
    this.coalescer = new PushCoalescer(
      (id) => this.send(id, opts.peerTimeoutMs),
      () => opts.stopped(),
    );
  }

  changed(peers: readonly string[]): void {
    for (const id of peers) this.coalescer.push(id);
  }

  /** Forgets the push state of peers `keep` rejects. */
  retain(keep: (id: string) => boolean): void {
    this.coalescer.retain(keep);
  }

  /** Resolves once every peer has answered or `timeoutMs` has passed. */
  async toAll(peers: readonly string[], timeoutMs: number): Promise<void> {
    await Promise.all(peers.map((id) => this.send(id, timeoutMs)));
  }

  private async send(id: string, timeoutMs: number): Promise<void> {
    const { counters, link } = this.opts;
    try {
      const res = await link.post(id, this.opts.body, timeoutMs);
      if (res.status !== 200) throw new Error(`push answered ${res.status}: ${res.body.slice(0, 200)}`);
      counters.pushesSent++;
    } catch (err) {
      counters.pushesFailed++;
      link.forget(id);
      this.opts.log.debug(
        { peer: id, err: (err as Error).message },
        'directory: push failed (the next pull covers it)',
      );
    }
  }
}
