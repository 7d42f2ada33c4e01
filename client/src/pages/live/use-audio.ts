import { useEffect, useRef, useState } from 'preact/hooks';
import type { AudioChoice } from '../../lib/audio-input.ts';
import { AudioFeed, type AudioFeedView } from './audio-feed.ts';
import type { Capture, SourceKind } from './capture.ts';
import { listMicrophones } from './microphone.ts';

/** How often the level meter moves. */
export const METER_INTERVAL_MS = 100;

/**
 * The go-live page's sound input (see AudioFeed): the choice, the microphones to pick from, the
 * level for the meter and the mute toggle. Starts once the capture exists.
 */
export function useAudio(capture: { current: Capture | null }, video: SourceKind) {
  const feed = useRef<AudioFeed | null>(null);
  const [view, setView] = useState<AudioFeedView>({ choice: null, note: null, muted: false });
  const [mics, setMics] = useState<Array<{ deviceId: string; label: string }>>([]);
  const [level, setLevel] = useState(0);

  useEffect(() => {
    const f = new AudioFeed(capture.current!, setView);
    feed.current = f;
    void f.start(video).then(() => listMicrophones().then(setMics));
    const meter = setInterval(() => setLevel(f.takeLevel()), METER_INTERVAL_MS);
    return () => {
      clearInterval(meter);
      f.dispose();
    };
  }, []);

  useEffect(() => feed.current?.videoChanged(video), [video]);

  const choose = (choice: AudioChoice) => void feed.current?.choose(choice, video);
  const setMuted = (muted: boolean) => feed.current?.setMuted(muted);
  return { feed, view, mics, level, choose, setMuted };
}
