import { useRef, useState } from 'preact/hooks';
import type { NewStream } from '../../../../shared/stream-fields.ts';
import { ChatPanel } from '../../components/chat-panel.tsx';
import type { PageInfo } from '../../lib/page-info.ts';
import { isPublishing } from '../../lib/publish-logic.ts';
import { GoLiveForm, initialFields } from './go-live-form.tsx';
import { HowItWorks } from './how-it-works.tsx';
import { LivePanel } from './live-panel.tsx';
import { PreviewNotes } from './preview-notes.tsx';
import { SoundPanel } from './sound-panel.tsx';
import { useAudio } from './use-audio.ts';
import { useCapture } from './use-capture.ts';
import { usePublisher } from './use-publisher.ts';
import { useThumbnailUploads } from './use-thumbnails.ts';
import './live.css';

/** `/live`: the preview, the form until the stream starts, then the live panel and the creator's chat. */
export function LivePage({ info }: { info: PageInfo }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  // Kept here, not in the form, so "Go live again" starts from the last title and name.
  const [fields, setFields] = useState<NewStream>(initialFields);
  const { capture, source, cameraNote, choose } = useCapture(canvas, fields.title.trim());
  const sound = useAudio(capture, source);
  const { encoderOk, session, start, stop, reset, sendChat } = usePublisher(capture, sound.feed);
  const active = session !== null && isPublishing(session.view.state);
  useThumbnailUploads(canvas, session);

  return (
    <div class="golive">
      <div class="golive-main">
        <h1>{session ? (active ? 'You are live' : 'Stream over') : 'Go live'}</h1>
        <div class="video-wrap">
          <canvas
            ref={canvas}
            class="video"
            data-testid="preview"
            data-source={source}
            data-frames-sent={session?.view.framesSent ?? 0}
            role="img"
            aria-label={source === 'camera' ? 'Camera preview' : 'Test pattern preview'}
          />
          {active && <span class="badge live on-video">Live</span>}
        </div>
        <PreviewNotes cameraNote={cameraNote} encoderOk={encoderOk} />
        <SoundPanel
          view={sound.view}
          mics={sound.mics}
          level={sound.level}
          onChoose={sound.choose}
          onMuted={sound.setMuted}
        />
        {session === null ? (
          <GoLiveForm
            fields={fields}
            onFields={(patch) => setFields((f) => ({ ...f, ...patch }))}
            source={source}
            onSource={(kind) => void choose(kind)}
            canGoLive={encoderOk === true}
            info={info}
            onCreated={start}
          />
        ) : (
          <LivePanel session={session} onStop={stop} onAgain={reset} />
        )}
      </div>
      {session ? (
        <ChatPanel
          chat={session.view.chat}
          chatError={session.view.chatError}
          canSend={session.view.state === 'live'}
          askName={false}
          onSend={sendChat}
        />
      ) : (
        <HowItWorks />
      )}
    </div>
  );
}
