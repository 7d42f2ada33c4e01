import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import Type from 'typebox';

const Nullable = Type.Union([Type.String(), Type.Null()]);
const WhoamiSchema = {
  response: { 200: Type.Object({ machineId: Nullable, region: Nullable, app: Nullable }) },
};

const whoami: FastifyPluginAsync = async (app) => {
  const answer = { machineId: app.machine.id, region: app.machine.region, app: app.machine.appName };
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get('/api/whoami', { schema: WhoamiSchema }, async () => answer);
  api.get('/ws/whoami', { websocket: true }, (socket) => {
    socket.send(JSON.stringify(answer), () => socket.close(1000, 'bye'));
  });
};

/** Which Machine answered: over HTTP, and over a WebSocket (which Machine a socket really reached). */
export const whoamiRoutes = fp(whoami, {
  name: 'whoami',
  fastify: '5.x',
  dependencies: ['machine', '@fastify/websocket'],
});
