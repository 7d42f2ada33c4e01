/** Which Machine served this page, as the server wrote it on `<body>` (server/web/inject.ts). */
export interface PageInfo {
  /** The Machine that served the HTML; null off Fly or under `npm run dev` (Vite serves the HTML). */
  machineId: string | null;
  region: string | null;
  /** The edge region that accepted the request (Fly's `fly-region` header), when the server saw one. */
  edgeRegion: string | null;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

export function readPageInfo(dataset: Record<string, string | undefined>): PageInfo {
  return {
    machineId: nonEmpty(dataset.instance),
    region: nonEmpty(dataset.region),
    edgeRegion: nonEmpty(dataset.edgeRegion),
  };
}

/** True when the server injected the attributes (absent under the Vite dev server). */
export function wasInjected(dataset: Record<string, string | undefined>): boolean {
  return dataset.instance !== undefined;
}
