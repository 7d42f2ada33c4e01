import type { WatchView } from './session.ts';

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
    case 'outdated':
      return view.endedReason ?? 'This page is out of date: reload it to watch.';
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

/** Over the video while there is no picture: what is going on, and what the viewer can do. */
export function Overlay({ view, onRetry }: { view: WatchView; onRetry: () => void }) {
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
      {view.state === 'outdated' && (
        <button type="button" onClick={() => location.reload()}>
          Reload
        </button>
      )}
    </div>
  );
}
