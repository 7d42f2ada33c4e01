import type { LoggerOptions } from 'pino';
import type { Config } from './config.ts';

/** pino options: every line tagged with this Machine's id and region; pretty only on a terminal. */
export function loggerOptions(config: Config, pretty = process.stdout.isTTY === true): LoggerOptions {
  return {
    level: config.logLevel,
    base: { machine: config.machineId ?? 'local', region: config.region ?? 'local' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } } } : {}),
  };
}
