import { useEffect, useRef, useState } from 'preact/hooks';
import { ChatPanel } from '../../components/chat-panel.tsx';
import { useNow } from '../../hooks/use-now.ts';
import { formatUptime } from '../../lib/format.ts';
import type { PageInfo } from '../../lib/page-info.ts';
import { routingProof } from '../../lib/routing-proof.ts';
import { WatchSession, type WatchView } from './session.ts';
import './watch.css';

interface WatchPageProps {
  streamId: string;
  info: PageInfo;
}

function useWatch(streamId: string, canvas: { current: HTMLCanvasElement | null }) {
  const [session] = useState(
    () => new WatchSession(streamId, new URLSearchParams(location.search).get('instance'), (v) => setView(v)),
  );
  const [view, setView] = useState<WatchView>(session.view);
  useEffect(() => {
    session.start(canvas.current);
    return () => session.dispose();
  }, []);
  return { session, view };
}

export function WatchPage({ streamId, info }: WatchPageProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { session, view } = useWatch(streamId, canvas);
  const now = useNow(1000);
  const title = view.stream?.title ?? 'Live stream';

  useEffect(() => {
    document.title = view.stream ? `${view.stream.title} - replaycast` : 'Watching - replaycast';
  }, [view.stream?.title]);

  return (
    <div class="watch">
      <div class="watch-main">
        <div class="video-wrap">
          <canvas
            ref={canvas}
            width={1280}
            height={720}
            class="video"
            data-testid="video"
            data-state={view.state}
            role="img"
            aria-label={`Video of ${title}`}
          />
          <Overlay view={view} onRetry={() => session.retryNow()} />
        </div>

        <div class="stream-meta">
          <div class="title-row">
            <StateBadge view={view} />
            <h1 data-testid="stream-title">{title}</h1>
          </div>
          {view.stream && <p class="creator">by {view.stream.creator}</p>}
          <ul class="stats" aria-label="Stream figures">
            <li>
              <strong data-testid="viewer-count">{view.viewers}</strong> watching
            </li>
            {view.stream && view.state === 'live' && (
              <li>
                up <strong data-testid="uptime">{formatUptime(view.stream.startedAt, now)}</strong>
              </li>
            )}
            {view.latencyMs !== null && view.state === 'live' && (
              <li>
                delay <strong>{view.latencyMs} ms</strong>
              </li>
            )}
            {view.playback !== 'no-webcodecs' && (
              <li>
                <strong data-testid="decoded-count">{view.decoded}</strong> frames decoded
                {view.dropped > 0 && <>, {view.dropped} not shown (catching up)</>}
              </li>
            )}
          </ul>
        </div>

        <RoutingPanel view={view} info={info} requestedHome={session.requestedHome} />
      </div>

      <ChatPanel
        chat={view.chat}
        chatError={view.chatError}
        canSend={view.state === 'live'}
        askName
        onSend={(text, name) => session.sendChat(text, name)}
      />
    </div>
  );
}

const STATE_LABEL: Record<WatchView['state'], string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
  ended: 'Ended',
  'not-found': 'Not found',
};

function StateBadge({ view }: { view: WatchView }) {
  const cls = view.state === 'live' ? 'live' : view.state === 'ended' || view.state === 'not-found' ? 'ended' : 'warn';
  return (
    <span class={`badge ${cls}`} data-testid="watch-state" data-state={view.state}>
      {STATE_LABEL[view.state]}
    </span>
  );
}

/** What to say over the video when there is no picture (yet), in a live region. */
function overlayText(view: WatchView): string | null {
  switch (view.state) {
    case 'connecting':
      return view.followedMoves > 0
        ? 'The stream moved to another Machine: following it...'
        : "Connecting to the stream's home Machine...";
    case 'reconnecting':
      return `Connection lost. Reconnecting${view.retryInMs ? ` in ${Math.ceil(view.retryInMs / 1000)} s` : ''}...`;
    case 'offline':
      return "The stream's home Machine cannot be reached right now. Retrying...";
    case 'ended':
      return view.endedReason ?? 'The stream has ended.';
    case 'not-found':
      return 'There is no live stream at this address. It may have ended.';
    case 'live':
      if (view.playback === 'no-webcodecs') {
        return 'This browser cannot play the video: it lacks WebCodecs (use a recent Chrome, Edge or Safari over https or localhost). Chat and stream details still work.';
      }
      if (view.playback === 'unsupported')
        return "This browser cannot decode this stream's video. Chat and stream details still work.";
      if (!view.publisherConnected) return 'The creator lost their connection. Waiting for them to come back...';
      if (view.playback === 'waiting-config') return "Waiting for the creator's video...";
      if (view.playback === 'waiting-keyframe') return 'Starting the picture (waiting for a keyframe)...';
      return null;
  }
}

function Overlay({ view, onRetry }: { view: WatchView; onRetry: () => void }) {
  const text = overlayText(view);
  const over = view.state === 'ended' || view.state === 'not-found';
  return (
    <div class={`overlay ${text === null ? 'hidden' : ''}`} role="status" data-testid="watch-message">
      {text !== null && <p>{text}</p>}
      {view.state === 'offline' && (
        <button type="button" class="secondary" onClick={onRetry}>
          Retry now
        </button>
      )}
      {over && (
        <a class="button" href="/">
          See who is live
        </a>
      )}
    </div>
  );
}

function RoutingPanel({
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
