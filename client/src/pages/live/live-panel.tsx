import { isPublishing } from '../../lib/publish-logic.ts';
import { HomeFacts } from './home-facts.tsx';
import { LiveFigures } from './live-figures.tsx';
import type { PublishView } from './publisher.ts';
import { ShareLink } from './share-link.tsx';
import type { PublishSession } from './use-publisher.ts';

const STATE_TEXT: Record<PublishView['state'], string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  ended: 'Ended',
  failed: 'Stopped',
};

interface LivePanelProps {
  session: PublishSession;
  onStop: () => void;
  onAgain: () => void;
}

/** The stream while (and after) it is published: state, stop or go again, link, figures, home. */
export function LivePanel({ session, onStop, onAgain }: LivePanelProps) {
  const { view } = session;
  const active = isPublishing(view.state);
  return (
    <section class="panel live-panel" aria-labelledby="live-title">
      <div class="live-head">
        <h2 id="live-title" class="visually-hidden">
          Your stream
        </h2>
        <span
          class={`badge ${view.state === 'live' ? 'live' : active ? 'warn' : 'ended'}`}
          data-testid="live-state"
          data-state={view.state}
        >
          {STATE_TEXT[view.state]}
        </span>
        {active ? (
          <button type="button" class="danger" onClick={onStop}>
            Stop streaming
          </button>
        ) : (
          <button type="button" onClick={onAgain}>
            Go live again
          </button>
        )}
      </div>
      {view.message && (
        <p class={`notice ${view.state === 'failed' ? 'error' : ''}`} role="status" data-testid="live-message">
          {view.message}
        </p>
      )}
      <ShareLink watchUrl={session.created.watchUrl} />
      <LiveFigures view={view} />
      <HomeFacts session={session} />
    </section>
  );
}
