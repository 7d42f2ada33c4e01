import type { FastifyBaseLogger } from 'fastify';

/** The logger methods the relay uses, so in-process fakes (demo, tests) need only these. */
export type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'debug' | 'error'>;
