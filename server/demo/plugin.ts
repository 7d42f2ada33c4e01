import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { DemoStills, loadDemoStills } from './demo-stills.ts';
import { DemoStreams } from './demo-streams.ts';

export interface DemoOptions {
  /** Synthetic streams this Machine hosts once it listens (DEMO_STREAMS). */
  streams: number;
  /** THUMBNAIL_INTERVAL_MS: each demo stream shows its next still this often. */
  thumbnailIntervalMs: number;
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
  const log = app.log.child({ component: 'demo-streams' });
  const demos = new DemoStreams(app.streams, log, app.machine.region);
  const stills = new DemoStills(
    (id, bytes) => app.thumbnails.put(id, bytes),
    loadDemoStills,
    opts.thumbnailIntervalMs,
    log,
  );
  const start = (count: number) => {
    const ids = demos.start(count);
    stills.add(ids);
    return ids;
  };
  app.decorate('demo', { start } satisfies DemoHandle);

  // Demo streams start when the Machine starts serving, not when an app is built for inject tests.
  let started = false;
  app.addHook('onListen', async () => {
    if (started) return;
    started = true;
    start(opts.streams);
  });
  app.addHook('preClose', async () => {
    stills.stop();
    demos.stop();
  });
};

/**
 * Synthetic streams (a looped VP8 test pattern) hosted on this Machine, published through the same
 * relay a creator's socket uses, with thumbnails that change (stills of the same video), so a fresh
 * cluster has something to watch.
 */
export const demoPlugin = fp(demo, {
  name: 'demo',
  fastify: '5.x',
  dependencies: ['streams', 'machine', 'thumbnails'],
});
