import type { PageInfo } from '../../lib/page-info.ts';

export function WatchPage({ streamId }: { streamId: string; info: PageInfo }) {
  return <h1>Watching {streamId}</h1>;
}
