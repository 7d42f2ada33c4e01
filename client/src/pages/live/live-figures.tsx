import { useNow } from '../../hooks/use-now.ts';
import { formatBitrate, formatUptime } from '../../lib/format.ts';
import { isPublishing } from '../../lib/publish-logic.ts';
import type { PublishView } from './publisher.ts';

/** Viewers, frame rate, bitrate, frames sent and skipped, uptime. */
export function LiveFigures({ view }: { view: PublishView }) {
  const now = useNow(1000);
  return (
    <ul class="stats" aria-label="Stream figures" data-testid="live-figures">
      <li>
        <strong data-testid="live-viewers">{view.viewers}</strong> watching
      </li>
      <li>
        <strong>{view.fps}</strong> fps
      </li>
      <li>
        <strong>{formatBitrate(view.bitsPerSecond)}</strong>
      </li>
      <li>
        <strong data-testid="frames-sent">{view.framesSent}</strong> frames sent ({view.keyframes} keyframes)
      </li>
      {view.audioFramesSent > 0 && (
        <li>
          <strong data-testid="audio-frames-sent">{view.audioFramesSent}</strong> sound messages (two 60 ms packets
          each)
        </li>
      )}
      {view.skipped > 0 && (
        <li>
          <strong>{view.skipped}</strong> frames skipped (encoder or network behind)
        </li>
      )}
      {view.startedAt !== null && isPublishing(view.state) && (
        <li>
          up <strong>{formatUptime(view.startedAt, now)}</strong>
        </li>
      )}
    </ul>
  );
}
