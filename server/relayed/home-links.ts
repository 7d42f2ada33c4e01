import type { NatsConnection } from '@nats-io/transport-node';
import type { LiveStream } from '../streams/live-stream.ts';
import { HomeLink, type HomeLinkOptions } from './home-link.ts';

export interface HomeLinksOptions extends Omit<HomeLinkOptions, 'nc'> {
  connection(): NatsConnection | null;
  /** The streams homed here that viewers can watch. */
  streams(): LiveStream[];
}

/** Every listed stream homed on this Machine, mirrored on its NATS subjects while there is a connection. */
export class HomeLinks {
  private readonly links = new Map<string, { stream: LiveStream; link: HomeLink }>();

  constructor(private readonly opts: HomeLinksOptions) {}

  get size(): number {
    return this.links.size;
  }

  /** Links new streams and unlinks ended ones; called on every change of the streams or of the connection. */
  sync(): void {
    const nc = this.opts.connection();
    const wanted = new Map(nc === null ? [] : this.opts.streams().map((s) => [s.id, s]));
    for (const [id, held] of this.links) {
      if (wanted.get(id) !== held.stream) {
        held.link.close();
        this.links.delete(id);
      }
    }
    if (nc === null) return;
    for (const [id, stream] of wanted) {
      if (!this.links.has(id)) this.links.set(id, { stream, link: new HomeLink(stream, { ...this.opts, nc }) });
    }
  }

  closeAll(): void {
    for (const { link } of this.links.values()) link.close();
    this.links.clear();
  }
}
