/** Requests from this Machine to a peer's private API: its address from DNS, then the HTTP request. */

import http from 'node:http';
import { machineAddressName } from './dns-names.ts';
import { SNAPSHOT_PATH } from './peer-api.ts';
import { type PeerResponse, peerRequest } from './peer-client.ts';

/** Headers of a request to a peer: the bearer token when one is set, the held snapshot's etag for a conditional GET. */
export function peerHeaders(token: string | null, ifNoneMatch: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
  return headers;
}

/** A GET of some other path of a peer's private API (the thumbnails plugin's routes). */
export interface PeerFetch {
  timeoutMs: number;
  maxResponseBytes: number;
  ifNoneMatch?: string;
  accept?: string;
}

export interface PeerLinkOptions {
  appName: string;
  /** INTERNAL_PORT: every Machine's private API listens on the same one. */
  port: number;
  /** HOST: outgoing requests leave from it when it is one address. */
  selfHost: string;
  token: string | null;
  maxResponseBytes: number;
  resolve6: (name: string) => Promise<string[]>;
}

/**
 * How this Machine reaches a peer's private API (its snapshot, and other plugins' routes): the peer's address from DNS, cached
 * until a request to it fails (`forget`), over one keep-alive agent.
 */
export class PeerLink {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 30_000 });
  private readonly addresses = new Map<string, string>();

  constructor(private readonly opts: PeerLinkOptions) {}

  /** GET the peer's snapshot (conditional when `ifNoneMatch` is given). */
  get(id: string, timeoutMs: number, ifNoneMatch?: string): Promise<PeerResponse> {
    return this.request(id, 'GET', SNAPSHOT_PATH, undefined, timeoutMs, ifNoneMatch);
  }

  /** POST a snapshot to the peer; `body` is read once the address is known, so it is the newest. */
  post(id: string, body: () => string, timeoutMs: number): Promise<PeerResponse> {
    return this.request(id, 'POST', SNAPSHOT_PATH, body, timeoutMs);
  }

  /** GET another path of the peer's private API, bounded by the caller's own size limit. */
  fetch(id: string, path: string, opts: PeerFetch): Promise<PeerResponse> {
    return this.request(id, 'GET', path, undefined, opts.timeoutMs, opts.ifNoneMatch, opts);
  }

  /** Drops the cached address, so the next request asks DNS again. */
  forget(id: string): void {
    this.addresses.delete(id);
  }

  retain(keep: (id: string) => boolean): void {
    for (const id of [...this.addresses.keys()]) if (!keep(id)) this.addresses.delete(id);
  }

  close(): void {
    this.agent.destroy();
  }

  private async request(
    id: string,
    method: 'GET' | 'POST',
    path: string,
    body: (() => string) | undefined,
    timeoutMs: number,
    ifNoneMatch?: string,
    other?: Pick<PeerFetch, 'maxResponseBytes' | 'accept'>,
  ): Promise<PeerResponse> {
    const address = await this.addressOf(id);
    const headers = peerHeaders(this.opts.token, ifNoneMatch);
    if (other?.accept !== undefined) headers.accept = other.accept;
    return peerRequest({
      address,
      port: this.opts.port,
      selfHost: this.opts.selfHost,
      method,
      path,
      headers,
      ...(body !== undefined ? { body: body() } : {}),
      timeoutMs,
      maxResponseBytes: other?.maxResponseBytes ?? this.opts.maxResponseBytes,
      agent: this.agent,
    });
  }

  private async addressOf(id: string): Promise<string> {
    const cached = this.addresses.get(id);
    if (cached !== undefined) return cached;
    const name = machineAddressName(id, this.opts.appName);
    const answers = await this.opts.resolve6(name);
    const address = answers[0];
    if (address === undefined) throw new Error(`no AAAA for ${name}`);
    this.addresses.set(id, address);
    return address;
  }
}
