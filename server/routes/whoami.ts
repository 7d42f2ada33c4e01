import type { FastifyPluginAsync } from 'fastify';

/** Which Machine answered: over HTTP, and over a WebSocket (which Machine a socket really reached). */
export const whoamiRoutes: FastifyPluginAsync = async (app) => {
  const whoami = { machineId: app.machine.id, region: app.machine.region, app: app.machine.appName };
  app.get('/api/whoami', async () => whoami);
  app.get('/ws/whoami', { websocket: true }, (socket) => {
    socket.send(JSON.stringify(whoami), () => socket.close(1000, 'bye'));
  });
};
