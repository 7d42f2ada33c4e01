import { byDistanceFrom } from '../regions.ts';
import type { MachineView } from '../types.ts';

/** Fly's `.internal` answers live 5 seconds. */
export const DNS_TTL_S = 5;
/** A DNS character-string holds at most 255 bytes; longer TXT data is split across several. */
export const MAX_CHARACTER_STRING_BYTES = 255;

export interface DnsApp {
  name: string;
  machines: readonly MachineView[];
}

export interface DnsView {
  apps: readonly DnsApp[];
  /** Region `top<N>.nearest.of` counts from when the asker is not a known Machine (the primary region). */
  defaultRegion: string;
}

export type DnsRecord =
  | { name: string; type: 'TXT'; ttl: number; data: string[] }
  | { name: string; type: 'AAAA'; ttl: number; data: string };

export interface DnsAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: DnsRecord[];
}

/** Splits TXT data into character-strings of at most 255 bytes (the text here is ASCII). */
export function characterStrings(text: string, maxBytes = MAX_CHARACTER_STRING_BYTES): string[] {
  if (text.length <= maxBytes) return [text];
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += maxBytes) parts.push(text.slice(i, i + maxBytes));
  return parts;
}

/**
 * In DNS from the moment its process runs: Fly lists a Machine once its VM is started, before the
 * app inside listens (the edges, by contrast, route only to Machines that accept connections).
 */
const started = (m: MachineView) => m.state === 'started' || m.state === 'starting';
const live = (m: MachineView) => m.state !== 'destroyed';

/** What a name means, before looking at the record type asked for. */
type Parsed =
  | { kind: 'txt'; text: () => string }
  | { kind: 'aaaa'; machines: () => readonly MachineView[] }
  | { kind: 'unknown' };

function parseName(labels: string[], view: DnsView, askerRegion: string | undefined): Parsed {
  const n = labels.length;
  if (n < 2 || labels[n - 1] !== 'internal') return { kind: 'unknown' };
  if (n === 2 && labels[0] === '_apps') {
    return { kind: 'txt', text: () => view.apps.map((a) => a.name).join(',') };
  }
  if (n === 2 && labels[0] === '_instances') {
    return {
      kind: 'txt',
      text: () =>
        view.apps
          .flatMap((a) =>
            a.machines
              .filter(started)
              .map((m) => `instance=${m.id},app=${a.name},ip=${m.privateIp},region=${m.region}`),
          )
          .join(';'),
    };
  }
  const app = view.apps.find((a) => a.name === labels[n - 2]);
  if (app === undefined) return { kind: 'unknown' };
  const all = app.machines.filter(live);
  const up = app.machines.filter(started);
  const rest = labels.slice(0, n - 2);

  if (rest.length === 0 || (rest.length === 1 && rest[0] === 'global')) return { kind: 'aaaa', machines: () => up };
  if (rest.length === 1 && rest[0] === 'vms')
    return { kind: 'txt', text: () => up.map((m) => `${m.id} ${m.region}`).join(',') };
  if (rest.length === 2 && rest[0] === 'all' && rest[1] === 'vms') {
    return { kind: 'txt', text: () => all.map((m) => `${m.id} ${m.region}`).join(',') };
  }
  if (rest.length === 1 && rest[0] === 'regions') {
    return { kind: 'txt', text: () => [...new Set(up.map((m) => m.region))].sort().join(',') };
  }
  if (rest.length === 1 && all.some((m) => m.region === rest[0])) {
    return { kind: 'aaaa', machines: () => up.filter((m) => m.region === rest[0]) };
  }
  if (rest.length === 2 && rest[1] === 'vm' && all.some((m) => m.id === rest[0])) {
    return { kind: 'aaaa', machines: () => up.filter((m) => m.id === rest[0]) };
  }
  if (rest.length === 2 && rest[1] === 'process' && all.some((m) => m.processGroup === rest[0])) {
    return { kind: 'aaaa', machines: () => up.filter((m) => m.processGroup === rest[0]) };
  }
  const top =
    rest.length === 3 && rest[1] === 'nearest' && rest[2] === 'of' ? /^top([1-9]\d{0,3})$/.exec(rest[0]!) : null;
  if (top !== null) {
    const count = Number(top[1]);
    return {
      kind: 'aaaa',
      machines: () => {
        const order = byDistanceFrom(
          askerRegion ?? view.defaultRegion,
          up.map((m) => m.region),
        );
        return [...up].sort((a, b) => order.indexOf(a.region) - order.indexOf(b.region)).slice(0, count);
      },
    };
  }
  return { kind: 'unknown' };
}

/**
 * The answer to one question, in Fly's formats (see the platform reference). Only started (or
 * starting) Machines appear, except in `all.vms`. A name that exists but has nothing of the asked type (or no started
 * Machine right now) gets an empty NOERROR answer; a name that does not exist gets NXDOMAIN. An empty
 * list in TXT is one empty string, so "no Machines" never looks like a lookup failure.
 * `askerRegion` is the region of the Machine asking, when the server can tell.
 */
export function answerQuestion(
  question: { name: string; type: string },
  view: DnsView,
  askerRegion?: string,
): DnsAnswer {
  const name = question.name.replace(/\.$/, '');
  const parsed = parseName(name.toLowerCase().split('.'), view, askerRegion);
  if (parsed.kind === 'unknown') return { rcode: 'NXDOMAIN', answers: [] };
  if (parsed.kind === 'txt' && question.type === 'TXT') {
    return {
      rcode: 'NOERROR',
      answers: [{ name, type: 'TXT', ttl: DNS_TTL_S, data: characterStrings(parsed.text()) }],
    };
  }
  if (parsed.kind === 'aaaa' && question.type === 'AAAA') {
    return {
      rcode: 'NOERROR',
      answers: parsed.machines().map((m) => ({ name, type: 'AAAA' as const, ttl: DNS_TTL_S, data: m.privateIp })),
    };
  }
  return { rcode: 'NOERROR', answers: [] };
}
