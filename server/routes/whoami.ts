import type { FastifyPluginAsync } from 'fastify';

export interface Whoami {
  machineId: string | null;
  region: string | null;
  app: string | null;
}

/** Which Machine answered: over HTTP, and over a WebSocket (which Machine a socket really reached). */
export const whoamiRoutes: FastifyPluginAsync<{ whoami: Whoami }> = async (app, { whoami }) => {
  app.get('/api/whoami', async () => whoami);
  app.get('/ws/whoami', { websocket: true }, (socket) => {
    socket.send(JSON.stringify(whoami), () => socket.close(1000, 'bye'));
  });
};
