import type { PageInfo } from '../../lib/page-info.ts';
import { routingProof } from '../../lib/routing-proof.ts';
import type { WatchView } from './session.ts';

/** Which Machine served the socket, against the stream's home and the page's Machine. */
export function RoutingPanel({
  view,
  info,
  requestedHome,
}: {
  view: WatchView;
  info: PageInfo;
  requestedHome: string | null;
}) {
  if (view.stream === null) {
    return (
      <section class="routing panel" data-testid="routing-proof" aria-labelledby="routing-title">
        <h2 id="routing-title">Routing proof</h2>
        <p class="muted">
          {view.state === 'not-found' || view.state === 'ended'
            ? 'No connection to this stream, so nothing to show.'
            : "Waiting for the stream's hello..."}
        </p>
      </section>
    );
  }
  const proof = routingProof({
    socketMachine: view.socketMachine,
    socketRegion: view.socketRegion,
    relayed: view.relayed,
    homeMachine: view.stream.machineId,
    homeRegion: view.stream.region,
    requestedHome,
    pageMachine: info.machineId,
    pageRegion: info.region,
    edgeRegion: info.edgeRegion,
  });
  return (
    <section
      class={`routing panel ${proof.verdict}`}
      data-testid="routing-proof"
      data-verdict={proof.verdict}
      data-socket-machine={view.socketMachine ?? ''}
      data-home-machine={view.stream.machineId ?? ''}
      data-page-machine={info.machineId ?? ''}
      aria-labelledby="routing-title"
    >
      <h2 id="routing-title">Routing proof</h2>
      <p class="proof-headline" data-testid="routing-headline">
        <span aria-hidden="true">{proof.verdict === 'different-machine' ? '\u2717 ' : '\u2713 '}</span>
        {proof.headline}
      </p>
      <dl>
        {proof.rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>
              <code>{value}</code>
            </dd>
          </div>
        ))}
      </dl>
      {proof.replayedAcrossRegions && (
        <p class="muted small">
          Your request entered Fly in <strong>{info.edgeRegion}</strong>; a <code>fly-replay</code> answer sent it on to{' '}
          <strong>{view.stream.region}</strong>, where the creator's Machine keeps the stream.
        </p>
      )}
    </section>
  );
}
