import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { build } from '../test/support/app.ts';
import { testConfig } from './config.ts';
import { demoPlugin } from './demo/plugin.ts';
import { directoryPlugin } from './directory/plugin.ts';
import { metricsPlugin } from './metrics/plugin.ts';
import { whoamiRoutes } from './routes/whoami.ts';
import { routingPlugin } from './routing/plugin.ts';
import { streamsPlugin } from './streams/plugin.ts';
import { thumbnailsPlugin } from './thumbnails/plugin.ts';
import { thumbnailSharingPlugin } from './thumbnails/sharing-plugin.ts';
import { webPlugin } from './web/plugin.ts';

const config = testConfig();

// Each plugin names the plugins whose decorators it reads; alone, it refuses to start and says which.
const alone: Array<[string, (app: FastifyInstance) => unknown, string]> = [
  ['streams', (app) => app.register(streamsPlugin, config.streams), 'machine'],
  ['thumbnails', (app) => app.register(thumbnailsPlugin, config.thumbnails), 'streams'],
  ['thumbnail-sharing', (app) => app.register(thumbnailSharingPlugin, config.thumbnails), 'streams'],
  ['demo', (app) => app.register(demoPlugin, config.demo), 'streams'],
  ['directory', (app) => app.register(directoryPlugin, config.directory), 'machine'],
  ['metrics', (app) => app.register(metricsPlugin, config.metrics), 'streams'],
  ['routing', (app) => app.register(routingPlugin, config.routing), '@fastify/cookie'],
  ['whoami', (app) => app.register(whoamiRoutes), 'machine'],
  ['web', (app) => app.register(webPlugin, config.web), 'machine'],
];
for (const [name, register, missing] of alone) {
  test(`the ${name} plugin registered alone names its missing dependency (${missing})`, async () => {
    const app = Fastify({ logger: false });
    register(app);
    await assert.rejects(
      async () => {
        await app.ready();
      },
      (err: Error & { code?: string }) =>
        err.code === 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED' && err.message.includes(`'${missing}'`),
    );
    await app.close();
  });
}

test('the app registers every plugin under its name', async (t) => {
  const app = await build(t);
  for (const name of [
    'errors',
    'shutdown',
    'machine',
    'streams',
    'thumbnails',
    'demo',
    'directory',
    'thumbnail-sharing',
    'metrics',
    'routing',
    'health',
    'whoami',
    'web',
  ]) {
    assert.ok(app.hasPlugin(name), name);
  }
});
