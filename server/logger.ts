import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';
import type { Config } from './config.ts';

/** Query parameters that carry secrets (the publish token) and must never reach log shipping. */
const SECRET_PARAMS = /([?&]token=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

/** pino options: every line tagged with this Machine's id and region; pretty only on a terminal. */
export function loggerOptions(config: Config, pretty = process.stdout.isTTY === true): LoggerOptions {
  return {
    level: config.server.logLevel,
    base: { machine: config.machine.id ?? 'local', region: config.machine.region ?? 'local' },
    serializers: {
      // Fastify's default request fields, with secrets in the query string redacted.
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } } }
      : {}),
  };
}
