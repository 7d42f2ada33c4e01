import type { AudioChoice } from '../../lib/audio-input.ts';
import type { AudioFeedView } from './audio-feed.ts';

interface SoundPanelProps {
  view: AudioFeedView;
  mics: Array<{ deviceId: string; label: string }>;
  /** 0-100, the input's level. */
  level: number;
  onChoose: (choice: AudioChoice) => void;
  onMuted: (muted: boolean) => void;
}

const TONE = 'tone';
const NONE = 'none';

const optionValue = (choice: AudioChoice | null) =>
  choice === null ? '' : choice.kind === 'mic' ? `mic:${choice.deviceId}` : choice.kind;

function choiceOf(value: string): AudioChoice {
  if (value === TONE) return { kind: 'tone' };
  if (value === NONE) return { kind: 'none' };
  return { kind: 'mic', deviceId: value.slice('mic:'.length) };
}

/** Under the preview: where the sound comes from, its level, the microphone's mute, and any problem. */
export function SoundPanel({ view, mics, level, onChoose, onMuted }: SoundPanelProps) {
  const { choice } = view;
  const current = optionValue(choice);
  const listed = mics.some((m) => `mic:${m.deviceId}` === current);
  return (
    <div class="sound-panel" data-testid="sound-input" data-choice={choice?.kind ?? 'pending'}>
      <label for="sound-source">Sound</label>
      <select id="sound-source" value={current} onChange={(e) => onChoose(choiceOf(e.currentTarget.value))}>
        {choice === null && <option value="">Asking for the microphone...</option>}
        {choice?.kind === 'mic' && !listed && <option value={current}>Microphone</option>}
        {mics.map((m) => (
          <option key={m.deviceId} value={`mic:${m.deviceId}`}>
            {m.label}
          </option>
        ))}
        <option value={TONE}>Test tone (a 1 kHz beep with each flash)</option>
        <option value={NONE}>No sound</option>
      </select>
      <meter
        class="level"
        min={0}
        max={100}
        value={choice?.kind === 'none' ? 0 : level}
        aria-label="Sound level"
        data-testid="sound-level"
      />
      {choice?.kind === 'mic' && (
        <button type="button" class="secondary" aria-pressed={view.muted} onClick={() => onMuted(!view.muted)}>
          {view.muted ? 'Unmute microphone' : 'Mute microphone'}
        </button>
      )}
      {view.note && (
        <p class="notice" role="status" data-testid="sound-note">
          {view.note}
        </p>
      )}
    </div>
  );
}
