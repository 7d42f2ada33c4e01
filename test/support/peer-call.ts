import http from 'node:http';
import { SNAPSHOT_PATH } from '../../server/directory/peer-api.ts';

export interface PeerCallOptions {
  /** Source address of the request (a loopback address), as the peer API sees the caller. */
  from: string;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A raw request to a Machine's private snapshot API at `address`:`port`, from a chosen source address. */
export function peerCall(
  address: string,
  port: number,
  opts: PeerCallOptions,
): Promise<{ status: number; body: string; etag: string | undefined; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        host: address,
        port,
        localAddress: opts.from,
        method: opts.method ?? 'GET',
        path: SNAPSHOT_PATH,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: data,
            etag: res.headers.etag,
            retryAfter: res.headers['retry-after'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
