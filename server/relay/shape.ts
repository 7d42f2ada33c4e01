import type { NatsFigures } from './monitor.ts';

export interface RegionServers {
  region: string;
  servers: number;
}

/**
 * The supercluster as one server sees it: its own region is itself plus its routes, and every other
 * region counts the servers that hold an inbound gateway here (each server of a region dials every
 * server of the others). Regions sorted by name.
 */
export function observedShape(selfRegion: string, figures: NatsFigures): RegionServers[] {
  const regions = new Map<string, number>([[selfRegion, 1 + figures.routes]]);
  for (const [region, servers] of Object.entries(figures.gatewaysIn))
    if (region !== selfRegion) regions.set(region, servers);
  for (const region of figures.gatewaysOut) if (!regions.has(region)) regions.set(region, 1);
  return [...regions]
    .map(([region, servers]) => ({ region, servers }))
    .sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0));
}

/** `ams(1) <-> dfw(2), 3 servers`. */
export function formatShape(shape: readonly RegionServers[]): string {
  const total = shape.reduce((sum, r) => sum + r.servers, 0);
  return `${shape.map((r) => `${r.region}(${r.servers})`).join(' <-> ')}, ${total} server${total === 1 ? '' : 's'}`;
}

/**
 * Says when to log the shape: once it differs from the last one logged and has held for `settleMs`
 * (a forming cluster passes through partial shapes). Time is passed in.
 */
export class ShapeLog {
  private logged: string | null = null;
  private candidate: string | null = null;
  private sinceMs = 0;

  constructor(private readonly settleMs: number) {}

  get last(): string | null {
    return this.logged;
  }

  /** The shape to log now, or null. */
  update(shape: string, nowMs: number): string | null {
    if (shape !== this.candidate) {
      this.candidate = shape;
      this.sinceMs = nowMs;
    }
    if (shape === this.logged || nowMs - this.sinceMs < this.settleMs) return null;
    this.logged = shape;
    return shape;
  }
}
