import { useEffect, useRef, useState } from 'preact/hooks';
import { ChatPanel } from '../../components/chat-panel.tsx';
import { useNow } from '../../hooks/use-now.ts';
import { formatUptime } from '../../lib/format.ts';
import type { PageInfo } from '../../lib/page-info.ts';
import { Overlay } from './overlay.tsx';
import { RoutingPanel } from './routing-panel.tsx';
import { WatchSession, type WatchView } from './session.ts';
import { SoundControls } from './sound-controls.tsx';
import { StateBadge } from './state-badge.tsx';
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
        {view.state === 'live' && (
          <SoundControls
            sound={view.sound}
            onUnmute={() => session.unmute()}
            onMute={() => session.mute()}
            onVolume={(v) => session.setVolume(v)}
          />
        )}

        <div class="stream-meta">
          <div class="title-row">
            <StateBadge view={view} />
            <h1 data-testid="stream-title">{title}</h1>
          </div>
          {view.stream && <p class="creator">by {view.stream.creator}</p>}
          <p class="moved-note" role="status" data-testid="moved-notice" hidden={view.movedTo === null}>
            {view.movedTo !== null && `Stream moved to ${view.movedTo}`}
          </p>
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
