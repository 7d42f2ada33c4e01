import type { PublishSession } from './use-publisher.ts';

/**
 * Where the stream lives, three ways: who answered "Go live" (or took the stream over when its home went
 * away), the socket's hello, a pinned request.
 */
export function HomeFacts({ session }: { session: PublishSession }) {
  const { view, confirmed } = session;
  return (
    <dl
      class="home-facts"
      data-testid="publish-home"
      data-machine={view.home ?? ''}
      data-socket-machine={view.socketMachine ?? ''}
      data-moves={view.moves}
    >
      <div>
        <dt>{view.moves === 0 ? 'Home Machine (answered "Go live")' : `Home Machine (moved ${view.moves}x)`}</dt>
        <dd>
          <code>{view.home ?? 'this server (not on Fly)'}</code>
          {view.homeRegion && <> in {view.homeRegion}</>}
        </dd>
      </div>
      <div>
        <dt>Publish socket reached</dt>
        <dd>
          <code>{view.socketMachine ?? (view.state === 'connecting' ? '...' : 'not connected')}</code>
          {view.socketRegion && <> in {view.socketRegion}</>}
        </dd>
      </div>
      <div>
        <dt>Checked with fly-force-instance-id</dt>
        <dd>
          <code>{confirmed === null ? '...' : (confirmed.machineId ?? 'not on Fly')}</code>
        </dd>
      </div>
    </dl>
  );
}
