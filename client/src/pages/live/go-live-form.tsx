import { useState } from 'preact/hooks';
import {
  CREATOR_MAX_CHARS,
  type NewStream,
  TITLE_MAX_CHARS,
  validateNewStream,
} from '../../../../shared/stream-fields.ts';
import type { PageInfo } from '../../lib/page-info.ts';
import { readStored, writeStored } from '../../lib/storage.ts';
import { Capture, type SourceKind } from './capture.ts';
import { type CreatedStream, createStream } from './create-stream.ts';

const CREATOR_KEY = 'replaycast:creator';

/** What the form starts with: no title, the name used last time. */
export function initialFields(): NewStream {
  return { title: '', creator: readStored(CREATOR_KEY) };
}

interface GoLiveFormProps {
  fields: NewStream;
  /** A field changed (the parent keeps the values: they outlive the form, e.g. for "Go live again"). */
  onFields: (patch: Partial<NewStream>) => void;
  source: SourceKind;
  onSource: (kind: SourceKind) => void;
  /** This browser can encode video. */
  canGoLive: boolean;
  info: PageInfo;
  onCreated: (stream: CreatedStream) => void;
}

/** Title, name and video source; checks them as the server will, then creates the stream. */
export function GoLiveForm({ fields, onFields, source, onSource, canGoLive, info, onCreated }: GoLiveFormProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = validateNewStream(fields);
    if (!checked.ok) {
      setError(`Please fix this: ${checked.error}.`);
      // Take the keyboard to the field at fault (the server's wording names it first).
      document.getElementById(checked.error.startsWith('title') ? 'title' : 'creator')?.focus();
      return;
    }
    setError(null);
    setBusy(true);
    const answer = await createStream(checked.value.title, checked.value.creator);
    setBusy(false);
    if (typeof answer === 'string') {
      setError(answer);
      return;
    }
    writeStored(CREATOR_KEY, checked.value.creator);
    onCreated(answer);
  };

  return (
    <form class="panel golive-form" onSubmit={submit} aria-label="Go live" data-testid="go-live-form" noValidate>
      <div class="field">
        <label for="title">Title</label>
        <input
          id="title"
          type="text"
          value={fields.title}
          maxLength={TITLE_MAX_CHARS}
          required
          placeholder="What are you streaming?"
          onInput={(e) => onFields({ title: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for="creator">Your name</label>
        <input
          id="creator"
          type="text"
          value={fields.creator}
          maxLength={CREATOR_MAX_CHARS}
          required
          autoComplete="nickname"
          onInput={(e) => onFields({ creator: e.currentTarget.value })}
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
            onChange={() => onSource('camera')}
          />
          Camera
        </label>
        <label class="radio">
          <input
            type="radio"
            name="source"
            value="pattern"
            checked={source === 'pattern'}
            onChange={() => onSource('pattern')}
          />
          Test pattern (moving bars and a clock)
        </label>
      </fieldset>
      <p class="form-error" role="alert" data-testid="form-error">
        {error}
      </p>
      <button type="submit" disabled={busy || !canGoLive}>
        {busy ? 'Starting...' : 'Go live'}
      </button>
      <p class="hint">
        Your stream will live on the Machine that answers: <code>{info.machineId ?? 'this server'}</code>
        {info.region && <> in {info.region}</>} is serving this page.
      </p>
    </form>
  );
}
