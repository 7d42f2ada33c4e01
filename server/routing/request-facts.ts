import type { FastifyRequest } from 'fastify';
import type { RoutingInput } from './decide.ts';
import type { WatchFacts } from './relay-route.ts';

type Headers = FastifyRequest['headers'];

/** What every request of one app shares: the Machine, the limits and the path rules. */
export interface FactsContext {
  self: string | null;
  anyMachine: (path: string) => boolean;
  cookieExempt: (method: string, path: string) => boolean;
  machineKnown?: (id: string) => boolean | undefined;
  maxReplayBodyBytes: number;
  replayTimeoutMs: number;
  /** What relaying a watch request for `streamId` needs to know; absent: no relays. */
  watchFacts?: (streamId: string, edgeRegion: string | undefined) => WatchFacts;
}

/** Watch pages and watch sockets: the requests a relay can serve. */
const WATCH_PATH = /^\/(?:ws\/)?watch\/([0-9A-Z]{26})$/;

const NO_INSTANCE_PARAMS: readonly string[] = [];

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One request as decide() sees it, read lazily: decide() looks only at what its branch needs, and
 * for the common request (served here by its cookie) that is a path, a cookie and one header. This
 * runs on every request, so the replay headers, the body size and the query are read only when asked.
 */
export class RequestFacts implements RoutingInput {
  readonly path: string;
  readonly apiPath: boolean;

  constructor(
    private readonly ctx: FactsContext,
    private readonly url: string,
    private readonly method: string,
    private readonly headers: Headers,
    readonly cookie: string | undefined,
  ) {
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.apiPath = this.path.startsWith('/api/') || this.path.startsWith('/ws/');
  }

  get self(): string | null {
    return this.ctx.self;
  }

  get instanceParams(): readonly string[] {
    const q = this.url.indexOf('?');
    return q === -1 ? NO_INSTANCE_PARAMS : new URLSearchParams(this.url.slice(q + 1)).getAll('instance');
  }

  get forceInstanceId(): string | undefined {
    return header(this.headers, 'fly-force-instance-id');
  }

  get replaySrc(): string | undefined {
    return header(this.headers, 'fly-replay-src');
  }

  get replayFailed(): string | undefined {
    return header(this.headers, 'fly-replay-failed');
  }

  get replayCacheStatus(): string | undefined {
    return header(this.headers, 'fly-replay-cache-status');
  }

  get preferredUnavailable(): string | undefined {
    return header(this.headers, 'fly-preferred-instance-unavailable');
  }

  get bodyBytes(): number | 'unknown' {
    const length = this.headers['content-length'];
    if (length !== undefined) {
      const n = Number(length);
      return Number.isSafeInteger(n) && n >= 0 ? n : 'unknown';
    }
    return this.headers['transfer-encoding'] !== undefined ? 'unknown' : 0;
  }

  get anyMachinePath(): boolean {
    return (this.method === 'GET' || this.method === 'HEAD') && this.ctx.anyMachine(this.path);
  }

  get cookieExempt(): boolean {
    return this.ctx.cookieExempt(this.method, this.path);
  }

  get machineKnown(): ((id: string) => boolean | undefined) | undefined {
    return this.ctx.machineKnown;
  }

  get maxReplayBodyBytes(): number {
    return this.ctx.maxReplayBodyBytes;
  }

  get replayTimeoutMs(): number {
    return this.ctx.replayTimeoutMs;
  }

  get watch(): WatchFacts | undefined {
    const facts = this.ctx.watchFacts;
    if (facts === undefined || (this.method !== 'GET' && this.method !== 'HEAD')) return undefined;
    const m = WATCH_PATH.exec(this.path);
    return m === null ? undefined : facts(m[1]!, header(this.headers, 'fly-region'));
  }
}
