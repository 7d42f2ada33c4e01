import type { PublishSession } from './use-publisher.ts';

/** Where the stream lives, three ways: who answered "Go live", the socket's hello, a pinned request. */
export function HomeFacts({ session }: { session: PublishSession }) {
  const { created, view, confirmed } = session;
  return (
    <dl
      class="home-facts"
      data-testid="publish-home"
      data-machine={created.machineId ?? ''}
      data-socket-machine={view.socketMachine ?? ''}
    >
      <div>
        <dt>Home Machine (answered "Go live")</dt>
        <dd>
          <code>{created.machineId ?? 'this server (not on Fly)'}</code>
          {created.region && <> in {created.region}</>}
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
