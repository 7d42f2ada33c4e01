import { useEffect, useRef, useState } from 'preact/hooks';
import { CREATOR_MAX_CHARS, TITLE_MAX_CHARS, validateNewStream } from '../../../../shared/stream-fields.ts';
import { ChatPanel } from '../../components/chat-panel.tsx';
import { useNow } from '../../hooks/use-now.ts';
import { formatBitrate, formatUptime } from '../../lib/format.ts';
import type { PageInfo } from '../../lib/page-info.ts';
import { homeHeaders, shareUrl } from '../../lib/publish-logic.ts';
import { Capture, cameraProblem, type SourceKind } from './capture.ts';
import { type CreatedStream, encoderSupported, Publisher, type PublishView } from './publisher.ts';
import './live.css';

const CREATOR_KEY = 'replaycast:creator';

function stored(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function parseCreated(v: unknown): CreatedStream | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const nullableText = (x: unknown) => x === null || typeof x === 'string';
  if (
    typeof o.id !== 'string' ||
    typeof o.publishToken !== 'string' ||
    typeof o.watchUrl !== 'string' ||
    !nullableText(o.machineId) ||
    !nullableText(o.region)
  ) {
    return null;
  }
  return {
    id: o.id,
    publishToken: o.publishToken,
    watchUrl: o.watchUrl,
    machineId: o.machineId as string | null,
    region: o.region as string | null,
  };
}

async function createStream(title: string, creator: string): Promise<CreatedStream | string> {
  let res: Response;
  try {
    res = await fetch('/api/streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ title, creator }),
    });
  } catch {
    return 'Could not reach the server. Check your connection and try again.';
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 201) return parseCreated(body) ?? 'The server gave an unexpected answer.';
  const reason =
    typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string'
      ? (body as { error: string }).error
      : `HTTP ${res.status}`;
  return `The stream could not be created: ${reason}.`;
}

interface Confirmation {
  machineId: string | null;
  region: string | null;
}

/** A later fetch to the home Machine, pinned with fly-force-instance-id (no replay hop). */
async function confirmHome(machineId: string | null): Promise<Confirmation | null> {
  try {
    const res = await fetch('/api/whoami', { headers: homeHeaders(machineId) });
    return res.ok ? ((await res.json()) as Confirmation) : null;
  } catch {
    return null;
  }
}

export function LivePage({ info }: { info: PageInfo }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const capture = useRef<Capture | null>(null);
  const publisher = useRef<Publisher | null>(null);
  const [source, setSource] = useState<SourceKind>('pattern');
  const [cameraNote, setCameraNote] = useState<string | null>(null);
  const [encoderOk, setEncoderOk] = useState<boolean | null>(null);
  const [title, setTitle] = useState('');
  const [creator, setCreator] = useState(() => stored(CREATOR_KEY));
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedStream | null>(null);
  const [view, setView] = useState<PublishView | null>(null);
  const [confirmed, setConfirmed] = useState<Confirmation | null>(null);

  const chooseSource = async (kind: SourceKind) => {
    const cap = capture.current;
    if (cap === null) return;
    if (kind === 'pattern') {
      cap.usePattern();
      setSource('pattern');
      return;
    }
    try {
      await cap.useCamera();
      setSource('camera');
      setCameraNote(null);
    } catch (err) {
      cap.usePattern();
      setSource('pattern');
      setCameraNote(`Using the test pattern: ${cameraProblem(err)}.`);
    }
  };

  useEffect(() => {
    const cap = new Capture(canvas.current!);
    capture.current = cap;
    void encoderSupported().then(setEncoderOk);
    // Leaving the page ends the stream at once: a reloaded page has no token to resume it with, so
    // making viewers wait out the server's grace period would help nobody.
    const leave = () => publisher.current?.stop();
    window.addEventListener('pagehide', leave);
    if (Capture.cameraAvailable()) void chooseSource('camera');
    else
      setCameraNote('Using the test pattern: this browser offers no camera access here (it needs https or localhost).');
    return () => {
      window.removeEventListener('pagehide', leave);
      publisher.current?.dispose();
      cap.stop();
    };
  }, []);

  useEffect(() => {
    if (capture.current) capture.current.label = title.trim();
  }, [title]);

  const goLive = async (event: Event) => {
    event.preventDefault();
    const fields = validateNewStream({ title, creator });
    if (!fields.ok) {
      setFormError(`Please fix this: ${fields.error}.`);
      // Take the keyboard to the field at fault (the server's wording names it first).
      document.getElementById(fields.error.startsWith('title') ? 'title' : 'creator')?.focus();
      return;
    }
    setFormError(null);
    setBusy(true);
    const answer = await createStream(fields.value.title, fields.value.creator);
    setBusy(false);
    if (typeof answer === 'string') {
      setFormError(answer);
      return;
    }
    try {
      localStorage.setItem(CREATOR_KEY, fields.value.creator);
    } catch {
      // not remembered
    }
    const pub = new Publisher(answer, setView);
    publisher.current = pub;
    setCreated(answer);
    setView(pub.view);
    setConfirmed(null);
    capture.current!.onFrame = (c, now) => pub.encodeFrom(c, now);
    pub.start();
    void confirmHome(answer.machineId).then(setConfirmed);
  };

  const stop = () => {
    publisher.current?.stop();
    if (capture.current) capture.current.onFrame = null;
  };

  const again = () => {
    publisher.current?.dispose();
    publisher.current = null;
    if (capture.current) capture.current.onFrame = null;
    setCreated(null);
    setView(null);
  };

  const publishing = created !== null && view !== null;
  const active = publishing && (view.state === 'live' || view.state === 'connecting' || view.state === 'reconnecting');

  return (
    <div class="golive">
      <div class="golive-main">
        <h1>{publishing ? (active ? 'You are live' : 'Stream over') : 'Go live'}</h1>
        <div class="video-wrap">
          <canvas
            ref={canvas}
            class="video"
            data-testid="preview"
            data-source={source}
            data-frames-sent={view?.framesSent ?? 0}
            role="img"
            aria-label={source === 'camera' ? 'Camera preview' : 'Test pattern preview'}
          />
          {active && <span class="badge live on-video">Live</span>}
        </div>
        {cameraNote && (
          <p class="notice" role="status" data-testid="camera-note">
            {cameraNote}
          </p>
        )}
        {encoderOk === false && (
          <p class="notice error" role="alert" data-testid="encoder-missing">
            This browser cannot encode video (WebCodecs VideoEncoder with VP8 is missing), so it cannot go live. Use a
            recent Chrome or Edge over https or localhost. You can still watch streams.
          </p>
        )}

        {!publishing && (
          <form class="panel golive-form" onSubmit={goLive} aria-label="Go live" data-testid="go-live-form" noValidate>
            <div class="field">
              <label for="title">Title</label>
              <input
                id="title"
                type="text"
                value={title}
                maxLength={TITLE_MAX_CHARS}
                required
                placeholder="What are you streaming?"
                onInput={(e) => setTitle(e.currentTarget.value)}
              />
            </div>
            <div class="field">
              <label for="creator">Your name</label>
              <input
                id="creator"
                type="text"
                value={creator}
                maxLength={CREATOR_MAX_CHARS}
                required
                autoComplete="nickname"
                onInput={(e) => setCreator(e.currentTarget.value)}
              />
              <p class="hint">Letters, digits, spaces, "_", "." and "-".</p>
            </div>
            <fieldset>
              <legend>Video source</legend>
              <label class="radio">
                <input
                  type="radio"
                  name="source"
                  value="camera"
                  checked={source === 'camera'}
                  disabled={!Capture.cameraAvailable()}
                  onChange={() => void chooseSource('camera')}
                />
                Camera
              </label>
              <label class="radio">
                <input
                  type="radio"
                  name="source"
                  value="pattern"
                  checked={source === 'pattern'}
                  onChange={() => void chooseSource('pattern')}
                />
                Test pattern (moving bars and a clock)
              </label>
            </fieldset>
            <p class="form-error" role="alert" data-testid="form-error">
              {formError}
            </p>
            <button type="submit" disabled={busy || encoderOk !== true}>
              {busy ? 'Starting...' : 'Go live'}
            </button>
            <p class="hint">
              Your stream will live on the Machine that answers: <code>{info.machineId ?? 'this server'}</code>
              {info.region && <> in {info.region}</>} is serving this page.
            </p>
          </form>
        )}

        {publishing && <LivePanel created={created} view={view} confirmed={confirmed} onStop={stop} onAgain={again} />}
      </div>

      {publishing ? (
        <ChatPanel
          chat={view.chat}
          chatError={view.chatError}
          canSend={view.state === 'live'}
          askName={false}
          onSend={(text) => publisher.current?.sendChat(text) ?? false}
        />
      ) : (
        <aside class="panel tips" aria-labelledby="tips-title">
          <h2 id="tips-title">How it works</h2>
          <ol>
            <li>Your browser encodes video with WebCodecs (VP8) and sends it over a WebSocket.</li>
            <li>The Machine that answers your "Go live" becomes the stream's home; only it holds the stream.</li>
            <li>
              Viewers anywhere get a link with <code>?instance=</code>: Fly's proxy replays them to that Machine.
            </li>
          </ol>
        </aside>
      )}
    </div>
  );
}

const STATE_TEXT: Record<PublishView['state'], string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  ended: 'Ended',
  failed: 'Stopped',
};

function LivePanel(props: {
  created: CreatedStream;
  view: PublishView;
  confirmed: Confirmation | null;
  onStop: () => void;
  onAgain: () => void;
}) {
  const { created, view, confirmed } = props;
  const now = useNow(1000);
  const [copied, setCopied] = useState(false);
  const link = shareUrl(location.origin, created.watchUrl);
  const active = view.state === 'live' || view.state === 'connecting' || view.state === 'reconnecting';

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      (document.getElementById('share-link') as HTMLInputElement | null)?.select();
    }
  };

  return (
    <section class="panel live-panel" aria-labelledby="live-title">
      <div class="live-head">
        <h2 id="live-title" class="visually-hidden">
          Your stream
        </h2>
        <span
          class={`badge ${view.state === 'live' ? 'live' : active ? 'warn' : 'ended'}`}
          data-testid="live-state"
          data-state={view.state}
        >
          {STATE_TEXT[view.state]}
        </span>
        {active ? (
          <button type="button" class="danger" onClick={props.onStop}>
            Stop streaming
          </button>
        ) : (
          <button type="button" onClick={props.onAgain}>
            Go live again
          </button>
        )}
      </div>
      {view.message && (
        <p class={`notice ${view.state === 'failed' ? 'error' : ''}`} role="status" data-testid="live-message">
          {view.message}
        </p>
      )}

      <div class="field">
        <label for="share-link">Share link</label>
        <div class="share">
          <input
            id="share-link"
            type="text"
            readOnly
            value={link}
            data-testid="share-link"
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" class="secondary" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy'}
          </button>
          <a class="button secondary" href={created.watchUrl} target="_blank" rel="noopener">
            Open
          </a>
        </div>
      </div>

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
        {view.skipped > 0 && (
          <li>
            <strong>{view.skipped}</strong> frames skipped (encoder or network behind)
          </li>
        )}
        {view.startedAt !== null && active && (
          <li>
            up <strong>{formatUptime(view.startedAt, now)}</strong>
          </li>
        )}
      </ul>

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
    </section>
  );
}
