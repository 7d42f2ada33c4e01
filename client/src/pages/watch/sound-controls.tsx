import type { SoundView } from './audio-player.ts';

interface SoundControlsProps {
  sound: SoundView;
  onUnmute: () => void;
  onMute: () => void;
  onVolume: (volume: number) => void;
}

const NOTE: Partial<Record<SoundView['state'], string>> = {
  none: 'This stream has no sound.',
  unsupported: "This browser cannot play this stream's sound.",
  blocked: 'Your browser waits for a click before it plays sound.',
};

/**
 * Over the bottom of the video: "Unmute" (the page starts muted: browsers refuse sound before a
 * click), or "Mute", and the volume; or a line saying why there is no sound. `data-state` for tests.
 */
export function SoundControls({ sound, onUnmute, onMute, onVolume }: SoundControlsProps) {
  const note = NOTE[sound.state];
  const playable = sound.state === 'muted' || sound.state === 'blocked' || sound.state === 'playing';
  return (
    <div class="sound" data-testid="sound" data-state={sound.state}>
      {playable &&
        (sound.state === 'playing' ? (
          <button type="button" class="secondary" onClick={onMute}>
            Mute
          </button>
        ) : (
          <button type="button" class="unmute" onClick={onUnmute}>
            Unmute
          </button>
        ))}
      {playable && (
        <label class="volume">
          Volume
          <input
            type="range"
            min={0}
            max={100}
            step={1}
            value={Math.round(sound.volume * 100)}
            onInput={(e) => onVolume(Number((e.target as HTMLInputElement).value) / 100)}
          />
        </label>
      )}
      {note !== undefined && (
        <span class="sound-note" role="status">
          {note}
        </span>
      )}
    </div>
  );
}
