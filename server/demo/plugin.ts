import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { DemoStreams } from './demo-streams.ts';

export interface DemoOptions {
  /** Synthetic streams this Machine hosts once it listens (DEMO_STREAMS). */
  streams: number;
}

/** What `app.demo` offers: start more demo streams now (tests); returns their ids. */
export interface DemoHandle {
  start(count: number): string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    demo: DemoHandle;
  }
}

const demo: FastifyPluginAsync<DemoOptions> = async (app, opts) => {
  const demos = new DemoStreams(app.streams, app.log.child({ component: 'demo-streams' }), app.machine.region);
  app.decorate('demo', { start: (count: number) => demos.start(count) } satisfies DemoHandle);

  // Demo streams start when the Machine starts serving, not when an app is built for inject tests.
  let started = false;
  app.addHook('onListen', async () => {
    if (started) return;
    started = true;
    demos.start(opts.streams);
  });
  app.addHook('preClose', async () => {
    demos.stop();
  });
};

/**
 * Synthetic streams (a looped VP8 test pattern) hosted on this Machine, published through the same
 * relay a creator's socket uses, so a fresh cluster has something to watch.
 */
export const demoPlugin = fp(demo, { name: 'demo', fastify: '5.x', dependencies: ['streams', 'machine'] });
