import { useNow } from '../../hooks/use-now.ts';
import { type DirectoryStream, regionsOf, watchUrl } from '../../lib/directory.ts';
import { formatUptime, plural } from '../../lib/format.ts';
import { StreamThumbnail } from './stream-thumbnail.tsx';
import { type FeedStatus, useDirectory } from './use-directory.ts';
import './home.css';

const STATUS_TEXT: Record<FeedStatus, string> = {
  loading: 'connecting to the directory...',
  live: 'updating live',
  reconnecting: 'reconnecting to the directory...',
};

export function HomePage() {
  const { view, loaded, status } = useDirectory();
  const now = useNow(1000);
  const regions = regionsOf(view.machines);

  return (
    <section aria-labelledby="home-title">
      <div class="home-head">
        <h1 id="home-title">Live now</h1>
        <p class="muted feed-status" role="status" data-testid="feed-status" data-status={status}>
          <span class={`dot ${status}`} aria-hidden="true" />
          {STATUS_TEXT[status]}
        </p>
      </div>
      {loaded && (
        <p class="muted" data-testid="directory-summary">
          {plural(view.streams.length, 'stream', 'streams')} on {plural(view.machines.length, 'Machine', 'Machines')}
          {regions.length > 0 && <> in {regions.join(', ')}</>}. Each link takes you to the Machine that hosts the
          stream.
        </p>
      )}
      {view.stale && (
        <p class="notice" role="alert" data-testid="stale-notice">
          This list may be out of date: the Machine that answered cannot reach the others right now.
        </p>
      )}

      {loaded && view.streams.length === 0 && <EmptyState />}
      {view.streams.length > 0 && (
        <ul class="stream-grid" data-testid="stream-list" aria-label="Live streams">
          {view.streams.map((s) => (
            <StreamCard key={s.id} stream={s} now={now} />
          ))}
        </ul>
      )}

      {view.machines.length > 0 && (
        <section class="machines" aria-labelledby="machines-title">
          <h2 id="machines-title">Machines</h2>
          <ul class="machine-list" data-testid="machine-list">
            {view.machines.map((m) => (
              <li key={m.id} data-machine-id={m.id}>
                <strong>{m.region}</strong> <code>{m.id}</code>{' '}
                <span class="muted">{plural(m.streams, 'stream', 'streams')}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

function StreamCard({ stream, now }: { stream: DirectoryStream; now: number }) {
  return (
    <li
      class="stream-card"
      data-testid="stream-card"
      data-stream-id={stream.id}
      data-machine-id={stream.machineId}
      data-region={stream.region}
    >
      <div class="thumb" aria-hidden="true">
        <span class="thumb-region">{stream.region}</span>
        <StreamThumbnail id={stream.id} version={stream.thumbnail} />
        <span class="badge live">Live</span>
      </div>
      <div class="card-body">
        <h2 class="card-title">
          <a href={watchUrl(stream)} class="stretched">
            {stream.title}
          </a>
        </h2>
        <p class="card-creator">{stream.creator}</p>
        <ul class="stats">
          <li>
            <strong data-testid="viewers">{stream.viewers}</strong> watching
          </li>
          <li>
            up <strong>{formatUptime(stream.startedAt, now)}</strong>
          </li>
          <li>
            <span class="visually-hidden">hosted </span>in <strong>{stream.region}</strong> on{' '}
            <code>{stream.machineId}</code>
          </li>
        </ul>
      </div>
    </li>
  );
}

function EmptyState() {
  return (
    <div class="empty panel" data-testid="empty-state">
      <h2>Nobody is live right now</h2>
      <p class="muted">
        Be the first: open <a href="/live">Go live</a>, give your stream a title, and press <strong>Go live</strong>.
        Your camera (or a test pattern) streams from the Machine nearest to you, and it shows up here for viewers in
        every region.
      </p>
      <a class="button" href="/live">
        Go live
      </a>
    </div>
  );
}
