import { useEffect, useRef, useState } from 'preact/hooks';
import type { AudioFeed } from './audio-feed.ts';
import type { Capture } from './capture.ts';
import { type Confirmation, type CreatedStream, confirmHome } from './create-stream.ts';
import { encoderSupported, Publisher, type PublishView } from './publisher.ts';

/** A stream being published: what `POST /api/streams` answered, the live figures, the home check. */
export interface PublishSession {
  created: CreatedStream;
  view: PublishView;
  /** `/api/whoami` asked with fly-force-instance-id: null until it answers. */
  confirmed: Confirmation | null;
}

/**
 * The go-live page's publisher: whether this browser can encode at all, then one Publisher at a time,
 * fed by the capture loop while it publishes.
 */
export function usePublisher(capture: { current: Capture | null }, audio: { current: AudioFeed | null }) {
  const publisher = useRef<Publisher | null>(null);
  const [encoderOk, setEncoderOk] = useState<boolean | null>(null);
  const [created, setCreated] = useState<CreatedStream | null>(null);
  const [view, setView] = useState<PublishView | null>(null);
  const [confirmed, setConfirmed] = useState<Confirmation | null>(null);

  useEffect(() => {
    void encoderSupported().then(setEncoderOk);
    // Leaving the page ends the stream at once: a reloaded page has no token to resume it with, so
    // making viewers wait out the server's grace period would help nobody.
    const leave = () => publisher.current?.stop();
    window.addEventListener('pagehide', leave);
    return () => {
      window.removeEventListener('pagehide', leave);
      publisher.current?.dispose();
    };
  }, []);

  const unhook = () => {
    if (capture.current) capture.current.onFrame = null;
    audio.current?.attach(null);
  };

  const start = (stream: CreatedStream) => {
    const pub = new Publisher(stream, setView);
    publisher.current = pub;
    setCreated(stream);
    setView(pub.view);
    setConfirmed(null);
    capture.current!.onFrame = (c, now, ts) => pub.encodeFrom(c, now, ts);
    audio.current?.attach(pub);
    pub.start();
    void confirmHome(stream.machineId).then(setConfirmed);
  };

  const stop = () => {
    publisher.current?.stop();
    unhook();
  };

  /** Back to the form for a new stream. */
  const reset = () => {
    publisher.current?.dispose();
    publisher.current = null;
    unhook();
    setCreated(null);
    setView(null);
  };

  // The stream moved: check its new home the same way.
  const home = view?.home ?? null;
  useEffect(() => {
    if (created !== null && home !== created.machineId) void confirmHome(home).then(setConfirmed);
  }, [home]);

  const sendChat = (text: string) => publisher.current?.sendChat(text) ?? false;

  const session: PublishSession | null = created !== null && view !== null ? { created, view, confirmed } : null;
  return { encoderOk, session, start, stop, reset, sendChat };
}
