/** Everything localfly prints while a cluster runs. */
export type LogEvent =
  | { source: 'machine'; machine: { id: string; region: string }; stream: 'stdout' | 'stderr'; line: string }
  | { source: 'edge'; region: string; level: 'info' | 'warn' | 'error'; message: string }
  | { source: 'localfly'; level: 'info' | 'warn' | 'error'; message: string; machine?: { id: string; region: string } };

/** At most this many key=value pairs follow a pino message. */
export const MAX_LOG_FIELDS = 8;
/** A value longer than this is cut, with an ellipsis. */
export const MAX_LOG_VALUE_CHARS = 120;

const ANSI = {
  reset: 0,
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
} as const;
/** Colours a Machine prefix can get; chosen from its id, so a Machine keeps its colour across restarts. */
const MACHINE_COLOURS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];

export function paint(text: string, code: number, color: boolean): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** A stable colour per Machine id (FNV-1a over the id). */
export function machineColour(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return MACHINE_COLOURS[(h >>> 0) % MACHINE_COLOURS.length]!;
}

const LEVELS: Record<number, [string, number]> = {
  10: ['TRACE', ANSI.gray],
  20: ['DEBUG', ANSI.gray],
  30: ['INFO ', ANSI.green],
  40: ['WARN ', ANSI.yellow],
  50: ['ERROR', ANSI.red],
  60: ['FATAL', ANSI.red],
};

/** Fields every replaycast line carries (already in the prefix) or that say nothing locally. */
const SKIPPED = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'machine',
  'region',
  'v',
  'req.host',
  'req.remoteAddress',
  'req.remotePort',
  'err.type',
  'err.stack',
]);

function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function valueText(value: unknown): string {
  let text =
    typeof value === 'string'
      ? /^[^\s"=]+$/.test(value)
        ? value
        : JSON.stringify(value)
      : (JSON.stringify(value) ?? String(value));
  if (text.length > MAX_LOG_VALUE_CHARS) text = `${text.slice(0, MAX_LOG_VALUE_CHARS - 1)}…`;
  return text;
}

/** Nested objects one level deep become dotted keys (req.method=GET). */
function flatten(record: Record<string, unknown>): Array<[string, unknown]> {
  const pairs: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(record)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, v] of Object.entries(value as Record<string, unknown>)) pairs.push([`${key}.${inner}`, v]);
    } else pairs.push([key, value]);
  }
  return pairs;
}

/**
 * A pino JSON line rendered for people: `12:00:01.123 INFO  msg key=value ...`; an error's stack
 * follows on its own lines. Anything that is not a pino line comes back unchanged.
 */
export function renderAppLine(line: string, color: boolean): string {
  if (!line.startsWith('{')) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.level !== 'number' ||
    (typeof record.msg !== 'string' && typeof record.time !== 'number')
  ) {
    return line;
  }
  const [name, code] = LEVELS[record.level] ?? [`L${record.level}`.padEnd(5), ANSI.reset];
  const time = typeof record.time === 'number' ? clock(record.time) : '--:--:--.---';
  const fields = flatten(record)
    .filter(([key]) => !SKIPPED.has(key))
    .slice(0, MAX_LOG_FIELDS)
    .map(([key, value]) => `${paint(key, ANSI.gray, color)}=${valueText(value)}`);
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const stack = (record.err as { stack?: unknown } | undefined)?.stack;
  const tail =
    record.level >= 50 && typeof stack === 'string'
      ? `\n${stack
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}`
      : '';
  return `${paint(time, ANSI.dim, color)} ${paint(name, code, color)} ${msg}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}${tail}`;
}

/** The `fly logs`-style prefix: region and Machine id, in the Machine's own colour. */
export function machinePrefix(machine: { id: string; region: string }, color: boolean): string {
  return paint(`${machine.region} ${machine.id}`, machineColour(machine.id), color);
}

const LEVEL_COLOUR = { info: ANSI.reset, warn: ANSI.yellow, error: ANSI.red } as const;

/** One printable line (or a few, for a stack) per event. */
export function formatLogEvent(event: LogEvent, color: boolean): string {
  switch (event.source) {
    case 'machine':
      return `${machinePrefix(event.machine, color)} ${renderAppLine(event.line, color)}`;
    case 'edge':
      return paint(event.message, event.level === 'info' ? ANSI.blue : LEVEL_COLOUR[event.level], color);
    case 'localfly': {
      const who = event.machine !== undefined ? `${machinePrefix(event.machine, color)} ` : '';
      return `${who}${paint('localfly', ANSI.bold, color)} ${paint(event.message, LEVEL_COLOUR[event.level], color)}`;
    }
  }
}
