import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/** Who this Machine is (`FLY_MACHINE_ID`, `FLY_REGION`, `FLY_APP_NAME`); all null off Fly. */
export interface MachineIdentity {
  /** null off Fly: then the routing hook serves everything locally. */
  readonly id: string | null;
  readonly region: string | null;
  readonly appName: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    machine: MachineIdentity;
  }
}

const machine: FastifyPluginAsync<MachineIdentity> = async (app, opts) => {
  app.decorate('machine', Object.freeze({ id: opts.id, region: opts.region, appName: opts.appName }));
};

/**
 * Adds `app.machine`: several plugins need to know who this Machine is (routing, streams, the
 * directory, pages, whoami), so it is one read-only decorator they declare as a dependency rather
 * than a copy in each plugin's options.
 */
export const machinePlugin = fp(machine, { name: 'machine', fastify: '5.x' });
