import type { WatchView } from './session.ts';

const STATE_LABEL: Record<WatchView['state'], string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
  ended: 'Ended',
  'not-found': 'Not found',
  outdated: 'Reload needed',
};

/** Live, reconnecting, ended...: the state in a word, for the eye and for tests (`data-state`). */
export function StateBadge({ view }: { view: WatchView }) {
  const over = view.state === 'ended' || view.state === 'not-found' || view.state === 'outdated';
  const cls = view.state === 'live' ? 'live' : over ? 'ended' : 'warn';
  return (
    <span class={`badge ${cls}`} data-testid="watch-state" data-state={view.state}>
      {STATE_LABEL[view.state]}
    </span>
  );
}
