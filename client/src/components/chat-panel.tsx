import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { CHAT_MAX_CHARS, CHAT_NAME_MAX_CHARS, type ChatMessage } from '../../../shared/protocol.ts';
import { readStored, writeStored } from '../lib/storage.ts';
import './chat-panel.css';

const NAME_KEY = 'replaycast:name';

function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export interface ChatPanelProps {
  chat: ChatMessage[];
  chatError: string | null;
  canSend: boolean;
  /** Returns false when the line could not be sent (the text stays in the box). */
  onSend: (text: string, name: string) => boolean;
  /** Viewers pick a name; the creator chats under the stream's creator name. */
  askName: boolean;
}

/** Chat over the stream's socket. Messages are rendered as text nodes, never as HTML. */
export function ChatPanel({ chat, chatError, canSend, onSend, askName }: ChatPanelProps) {
  const [name, setName] = useState(() => readStored(NAME_KEY));
  const [text, setText] = useState('');
  const log = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  // Follow new messages unless the reader scrolled up to read older ones.
  useLayoutEffect(() => {
    const el = log.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [chat]);
  useEffect(() => writeStored(NAME_KEY, name), [name]);

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
        aria-label="Chat history"
        data-testid="chat-log"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard to scroll it
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {chat.length === 0 && <p class="muted chat-empty">No messages yet. Say hello!</p>}
        <ol>
          {chat.map((m) => (
            <li key={m.seq} data-testid="chat-message" data-seq={m.seq} class={`role-${m.role}`}>
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
        {chatError}
      </p>
      <form class="chat-form" onSubmit={submit} aria-label="Write in chat">
        {askName && (
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
        )}
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
