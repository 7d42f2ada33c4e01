/** What a replay was aimed at: the field of `fly-replay` that chose the target. */
export type ReplayKind = 'instance' | 'prefer_instance' | 'region' | 'any';

export interface EdgeCounts {
  /** Client requests accepted by this edge (a replayed request counts once). */
  requests: number;
  /** Of those, WebSocket upgrades. */
  websockets: number;
  /** Replays performed, in total and by kind. */
  replays: Record<ReplayKind, number> & { total: number };
  /** Requests delivered back with `fly-replay-failed` after a replay failed. */
  fallbacks: number;
  /** Requests the replay cache sent straight to a Machine (no replay hop). */
  cacheHits: number;
  /** Proxy errors answered to clients (PR02, PA02, ...), in total and by code. */
  errors: { total: number; byCode: Record<string, number> };
}

function zero(): EdgeCounts {
  return {
    requests: 0,
    websockets: 0,
    replays: { total: 0, instance: 0, prefer_instance: 0, region: 0, any: 0 },
    fallbacks: 0,
    cacheHits: 0,
    errors: { total: 0, byCode: {} },
  };
}

export interface StatsSnapshot {
  edges: Record<string, EdgeCounts>;
  totals: {
    requests: number;
    websockets: number;
    replays: number;
    fallbacks: number;
    cacheHits: number;
    errors: number;
  };
}

/** Per-edge counters, so a test can assert what one page visit cost (e.g. "at most 2 replays"). */
export class Stats {
  readonly #edges = new Map<string, EdgeCounts>();

  constructor(regions: Iterable<string> = []) {
    for (const region of regions) this.#edges.set(region, zero());
  }

  #of(region: string): EdgeCounts {
    let counts = this.#edges.get(region);
    if (counts === undefined) {
      counts = zero();
      this.#edges.set(region, counts);
    }
    return counts;
  }

  request(region: string, websocket: boolean): void {
    const c = this.#of(region);
    c.requests++;
    if (websocket) c.websockets++;
  }

  replay(region: string, kind: ReplayKind): void {
    const c = this.#of(region);
    c.replays.total++;
    c.replays[kind]++;
  }

  fallback(region: string): void {
    this.#of(region).fallbacks++;
  }

  cacheHit(region: string): void {
    this.#of(region).cacheHits++;
  }

  error(region: string, code: string): void {
    const c = this.#of(region);
    c.errors.total++;
    c.errors.byCode[code] = (c.errors.byCode[code] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    const edges: Record<string, EdgeCounts> = {};
    const totals = { requests: 0, websockets: 0, replays: 0, fallbacks: 0, cacheHits: 0, errors: 0 };
    for (const [region, c] of this.#edges) {
      edges[region] = structuredClone(c);
      totals.requests += c.requests;
      totals.websockets += c.websockets;
      totals.replays += c.replays.total;
      totals.fallbacks += c.fallbacks;
      totals.cacheHits += c.cacheHits;
      totals.errors += c.errors.total;
    }
    return { edges, totals };
  }

  reset(): void {
    for (const region of this.#edges.keys()) this.#edges.set(region, zero());
  }
}
