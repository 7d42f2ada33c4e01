import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { CHAT_MAX_CHARS, CHAT_NAME_MAX_CHARS } from '../../../../shared/protocol.ts';
import type { WatchView } from './session.ts';

const NAME_KEY = 'replaycast:name';

function savedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // private mode: the name just is not remembered
  }
}

function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Chat over the watch socket. Messages are rendered as text nodes, never as HTML. */
export function ChatPanel({ view, onSend }: { view: WatchView; onSend: (text: string, name: string) => boolean }) {
  const [name, setName] = useState(savedName);
  const [text, setText] = useState('');
  const log = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const canSend = view.state === 'live';

  // Follow new messages unless the reader scrolled up to read older ones.
  useLayoutEffect(() => {
    const el = log.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [view.chat]);
  useEffect(() => saveName(name), [name]);

  const submit = (event: Event) => {
    event.preventDefault();
    if (onSend(text, name)) setText('');
  };

  return (
    <section class="chat panel" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat</h2>
      <div
        ref={log}
        class="chat-log"
        role="log"
        aria-label="Chat messages"
        data-testid="chat-log"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {view.chat.length === 0 && <p class="muted chat-empty">No messages yet. Say hello!</p>}
        <ol>
        {view.chat.map((m) => (
          <li key={m.seq} data-testid="chat-message" data-seq={m.seq} class={m.role}>
            <span class="chat-meta">
              <strong class="chat-name">{m.name}</strong>
              {m.role === 'creator' && <span class="badge">creator</span>}
              <time dateTime={new Date(m.at).toISOString()}>{clock(m.at)}</time>
            </span>
            <span class="chat-text">{m.text}</span>
          </li>
        ))}
        </ol>
      </div>
      <p class="chat-error" role="alert" data-testid="chat-error">
        {view.chatError}
      </p>
      <form class="chat-form" onSubmit={submit} aria-label="Send a chat message">
        <div class="field">
          <label for="chat-name">Your name</label>
          <input
            id="chat-name"
            type="text"
            value={name}
            maxLength={CHAT_NAME_MAX_CHARS}
            placeholder="viewer"
            autoComplete="nickname"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="chat-text">Message</label>
          <div class="chat-send">
            <input
              id="chat-text"
              type="text"
              value={text}
              maxLength={CHAT_MAX_CHARS}
              autoComplete="off"
              required
              onInput={(e) => setText(e.currentTarget.value)}
            />
            <button type="submit" disabled={!canSend || text.trim() === ''}>
              Send
            </button>
          </div>
          {!canSend && <p class="hint">Chat opens when the stream is connected.</p>}
        </div>
      </form>
    </section>
  );
}
