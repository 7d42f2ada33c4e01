import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

const whoami: FastifyPluginAsync = async (app) => {
  const answer = { machineId: app.machine.id, region: app.machine.region, app: app.machine.appName };
  app.get('/api/whoami', async () => answer);
  app.get('/ws/whoami', { websocket: true }, (socket) => {
    socket.send(JSON.stringify(answer), () => socket.close(1000, 'bye'));
  });
};

/** Which Machine answered: over HTTP, and over a WebSocket (which Machine a socket really reached). */
export const whoamiRoutes = fp(whoami, {
  name: 'whoami',
  fastify: '5.x',
  dependencies: ['machine', '@fastify/websocket'],
});
