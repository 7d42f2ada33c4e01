/** pino levels nats-server's own levels map to. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface NatsLogLine {
  level: LogLevel;
  msg: string;
}

const LEVELS: Record<string, LogLevel> = {
  TRC: 'trace',
  DBG: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
};

/** `[pid] [INF] msg` (logtime off), or with nats-server's date and time before the level. */
const LINE = /^\[\d+\] (?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d+ )?\[(TRC|DBG|INF|WRN|ERR|FTL)\] (.*)$/;
/** A line about one connection: `127.0.0.1:43284 - gid:5 - ...`. */
const CONNECTION = / - (?:rid|gid|cid|lid):\d+ - /;
/** Connection lines worth an info line; the rest of the per-connection chatter goes to debug. */
const NOTABLE_CONNECTION = /registered$|Route connection created$/;

/**
 * A peer's nats-server not listening (yet, or any more): expected while Machines start, stop or deploy,
 * and nats-server retries by itself, so a warning rather than an error.
 */
const PEER_NOT_LISTENING =
  /^Error trying to connect to (route|gateway)\b.*(connection refused|no route to host|i\/o timeout)/i;

/** nats-server's start-up banner: debug, the app logs its own summary. */
const BANNER =
  /^(Starting nats-server$| {2}\w+: |Using configuration file|Starting http monitor|Gateway name is|Listening for |Address for gateway|Cluster name is)/;

/** One line of nats-server's output, with its level mapped to pino's (banner and chatter: debug). Unknown shapes are info. */
export function parseNatsLine(line: string): NatsLogLine {
  const m = LINE.exec(line);
  if (m === null) return { level: 'info', msg: line };
  const level = LEVELS[m[1]!]!;
  const msg = m[2]!;
  if (level === 'info' && BANNER.test(msg)) return { level: 'debug', msg };
  if (level === 'error' && PEER_NOT_LISTENING.test(msg)) return { level: 'warn', msg };
  if (level === 'info' && CONNECTION.test(msg) && !NOTABLE_CONNECTION.test(msg)) return { level: 'debug', msg };
  return { level, msg };
}

/** Replaces every occurrence of each secret: nats-server prints route URLs and reload errors with passwords. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('[redacted]');
  return out;
}

/** The same message with its numbers and server ids blanked: what "a repeat" means. */
export function template(msg: string): string {
  return msg.replace(/\bN[A-Z0-9]{55}\b/g, 'ID').replace(/\d+/g, '#');
}

/** A route or gateway refused for its credentials: RELAY_SECRET differs between two Machines. */
export function isAuthFailure(msg: string): boolean {
  return /authentication error|Authorization Violation/i.test(msg);
}

/**
 * Lets one line of each kind through per window and counts the rest, so a peer that is down or
 * refuses us (nats-server retries every second) cannot flood the Machine's log. Bounded in keys.
 */
export class RepeatFilter {
  private readonly seen = new Map<string, { lastMs: number; suppressed: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 1000,
  ) {}

  /** Whether to log now, and how many of the same were held back since the last one logged. */
  admit(key: string, nowMs: number): { emit: boolean; suppressed: number } {
    const held = this.seen.get(key);
    if (held !== undefined && nowMs - held.lastMs < this.windowMs) {
      held.suppressed++;
      return { emit: false, suppressed: 0 };
    }
    const suppressed = held?.suppressed ?? 0;
    this.seen.delete(key);
    if (this.seen.size >= this.maxKeys) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { lastMs: nowMs, suppressed: 0 });
    return { emit: true, suppressed };
  }
}
