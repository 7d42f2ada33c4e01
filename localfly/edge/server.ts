import http from 'node:http';
import type { Duplex } from 'node:stream';
import { listenTcp } from '../listen.ts';
import { MachineAgent } from './connect.ts';
import { createEdgeEnv, type EdgeEnv, type EdgeOptions } from './edge-env.ts';
import { handleRequest } from './handle-request.ts';
import { handleUpgrade } from './handle-upgrade.ts';

export { type EdgeLogEvent, type EdgeOptions, MAX_REPLAY_BODY_BYTES } from './edge-env.ts';

export interface Edge {
  region: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

/** The HTTP server of one edge: requests and upgrades go to their handlers; a handler's crash closes only its socket. */
function edgeServer(env: EdgeEnv, sockets: Set<Duplex>): http.Server {
  const crashed = (err: unknown, close: () => void) => {
    env.log('error', `${env.options.region} edge: ${err instanceof Error ? err.message : String(err)}`);
    close();
  };
  const server = http.createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    handleRequest(env, req, res).catch((err: unknown) => crashed(err, () => res.destroy()));
  });
  server.on('upgrade', (req, socket, head) => {
    handleUpgrade(env, req, socket, head).catch((err: unknown) => crashed(err, () => socket.destroy()));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end(BAD_REQUEST);
    else socket.destroy();
  });
  return server;
}

/**
 * One region's edge: Fly's proxy as a client in that region meets it. Adds Fly's request headers,
 * picks a Machine, follows `fly-replay`, auto starts stopped Machines, and relays WebSockets.
 */
export async function startEdge(o: EdgeOptions): Promise<Edge> {
  const host = o.host ?? '127.0.0.1';
  const agent = new MachineAgent({ keepAlive: true });
  let port = o.port;
  const env = createEdgeEnv(o, agent, () => port);
  const sockets = new Set<Duplex>();
  const server = edgeServer(env, sockets);
  port = await listenTcp(server, host, o.port, `edge ${o.region}`);
  return {
    region: o.region,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      }),
  };
}
