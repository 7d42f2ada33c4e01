import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Scrapes are short; a stuck client must not hold a socket open for long. */
export const SCRAPE_REQUEST_TIMEOUT_MS = 10_000;
export const SCRAPE_HEADERS_TIMEOUT_MS = 5_000;

export interface MetricsServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  path: string;
  registry: Registry;
  onScrapeError?: (err: unknown) => void;
}

function json(
  res: import('node:http').ServerResponse,
  status: number,
  error: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ error }));
}

/**
 * A listener of its own for Prometheus, separate from the public server: Fly's proxy only forwards
 * `internal_port`, so this port is reachable from the private network (Fly's scraper) and nowhere else.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) !== opts.path) return json(res, 404, `metrics are served at ${opts.path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, 'use GET', { allow: 'GET, HEAD' });
    opts.registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': opts.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        opts.onScrapeError?.(err);
        json(res, 500, 'collecting metrics failed');
      },
    );
  });
  server.requestTimeout = SCRAPE_REQUEST_TIMEOUT_MS;
  server.headersTimeout = SCRAPE_HEADERS_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
