import type { PageInfo } from '../../lib/page-info.ts';

export function LivePage(_props: { info: PageInfo }) {
  return <h1>Go live</h1>;
}
