import http from 'node:http';
import { connectTarget } from './address.ts';

export interface PeerRequest {
  /** The peer's address as DNS gave it (IPv6, or IPv4-mapped under localfly). */
  address: string;
  port: number;
  /** This Machine's HOST: outgoing requests leave from it when it is one address. */
  selfHost: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxResponseBytes: number;
  agent: http.Agent;
}

export interface PeerResponse {
  status: number;
  etag: string | undefined;
  contentType: string | undefined;
  /** The body as text (snapshots are JSON). */
  body: string;
  /** The body as it came (thumbnails are images). */
  bytes: Buffer;
}

/** The peer answered with more than the request's `maxResponseBytes`: abandoned, whatever it was. */
export class PeerResponseTooLargeError extends Error {
  constructor(readonly maxResponseBytes: number) {
    super(`peer response larger than ${maxResponseBytes} bytes`);
    this.name = 'PeerResponseTooLargeError';
  }
}

/**
 * One HTTP request to a peer's private API, bounded in time (connect to last byte) and in response
 * size. Plain node:http rather than fetch: it can pin the source address (`localAddress`).
 */
export function peerRequest(req: PeerRequest): Promise<PeerResponse> {
  const target = connectTarget(req.address, req.selfHost);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const request = http.request({
      host: target.host,
      family: target.family,
      ...(target.localAddress !== undefined ? { localAddress: target.localAddress } : {}),
      port: req.port,
      method: req.method,
      path: req.path,
      headers,
      agent: req.agent,
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`peer request timed out after ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > req.maxResponseBytes) {
          request.destroy(new PeerResponseTooLargeError(req.maxResponseBytes));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        const bytes = Buffer.concat(chunks);
        resolve({
          status: response.statusCode ?? 0,
          etag: response.headers.etag,
          contentType: response.headers['content-type'],
          body: bytes.toString('utf8'),
          bytes,
        });
      });
    });
    request.end(req.body);
  });
}
