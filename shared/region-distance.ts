/**
 * Where Fly's regions are, to pick the nearest region with a relay that has room. A copy of localfly's
 * table (localfly stays a tool for any Fly app, so the app does not import it): airports to a tenth of a degree.
 */
const REGION_COORDINATES: Readonly<Record<string, readonly [lat: number, lon: number]>> = {
  ams: [52.3, 4.8],
  arn: [59.7, 17.9],
  atl: [33.6, -84.4],
  bog: [4.7, -74.1],
  bom: [19.1, 72.9],
  bos: [42.4, -71.0],
  cdg: [49.0, 2.6],
  den: [39.9, -104.7],
  dfw: [32.9, -97.0],
  ewr: [40.7, -74.2],
  eze: [-34.8, -58.5],
  fra: [50.0, 8.6],
  gdl: [20.5, -103.3],
  gig: [-22.8, -43.2],
  gru: [-23.4, -46.5],
  hkg: [22.3, 113.9],
  iad: [38.9, -77.5],
  jnb: [-26.1, 28.2],
  lax: [33.9, -118.4],
  lhr: [51.5, -0.5],
  mad: [40.5, -3.6],
  mia: [25.8, -80.3],
  nrt: [35.8, 140.4],
  ord: [42.0, -87.9],
  otp: [44.6, 26.1],
  phx: [33.4, -112.0],
  qro: [20.6, -100.2],
  scl: [-33.4, -70.8],
  sea: [47.4, -122.3],
  sin: [1.4, 104.0],
  sjc: [37.4, -121.9],
  syd: [-33.9, 151.2],
  waw: [52.2, 21.0],
  yul: [45.5, -73.7],
  yyz: [43.7, -79.6],
};

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance in km; null when either region is not in the table. */
export function regionDistanceKm(from: string, to: string): number | null {
  if (from === to) return 0;
  const a = REGION_COORDINATES[from];
  const b = REGION_COORDINATES[to];
  if (a === undefined || b === undefined) return null;
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * `regions` ordered nearest first as seen from `from` (which itself comes first when listed).
 * Regions missing from the table go last, alphabetically, so made-up region names still work.
 */
export function byDistanceFrom(from: string, regions: Iterable<string>): string[] {
  const unique = [...new Set(regions)];
  return unique.sort((x, y) => {
    const dx = regionDistanceKm(from, x);
    const dy = regionDistanceKm(from, y);
    if (dx === null || dy === null) {
      if (dx !== null) return -1;
      if (dy !== null) return 1;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return dx - dy || (x < y ? -1 : x > y ? 1 : 0);
  });
}
