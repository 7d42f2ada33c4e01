import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { findNatsServer, INSTALL_HINT } from '../../server/relay/mode.ts';

/**
 * Tests that need nats-server fail at once with one line saying what to install, as the browser tests
 * do for Chromium; they never skip.
 */
export function requireNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const setting = env.NATS_SERVER_BIN;
  const lookup = findNatsServer(setting === undefined || setting === '' ? null : setting, env.PATH);
  if (!lookup.found) throw new Error(`nats-server is required by the tests: ${lookup.reason}; run ${INSTALL_HINT}`);
  return lookup.path;
}

/** Polls `check` until it returns a value other than false/undefined; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | false | undefined | Promise<T | false | undefined>,
  timeoutMs: number,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A loopback block of its own: 127.<22..251>.<0..255>.<first>, as localfly's tests pick theirs. */
export function ownAddressBlock(): (index: number) => string {
  const b = 22 + Math.floor(Math.random() * 230);
  const c = Math.floor(Math.random() * 256);
  return (index) => `127.${b}.${c}.${2 + index}`;
}

export interface CapturedLog {
  log: FastifyBaseLogger;
  lines: Array<Record<string, unknown> & { msg: string; level: number }>;
  /** Lines whose message matches. */
  matching(re: RegExp): Array<Record<string, unknown> & { msg: string }>;
}

/** A pino logger whose lines land in an array (level debug, so demoted lines are seen too). */
export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines, matching: (re) => lines.filter((l) => re.test(l.msg)) };
}
