/** The viewer's sound choice (muted or not, volume), remembered across visits. */
import { readStored, writeStored } from './storage.ts';

export interface SoundPrefs {
  muted: boolean;
  /** 0 to 1 (the gain). */
  volume: number;
}

/** Browsers block sound that starts without a click: pages start muted until the viewer chose otherwise. */
export const DEFAULT_SOUND: SoundPrefs = { muted: true, volume: 0.8 };
export const SOUND_KEY = 'replaycast:sound';

/** What was stored, field by field; anything unreadable falls back to the default. */
export function parseSoundPrefs(text: string): SoundPrefs {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return DEFAULT_SOUND;
  }
  if (typeof value !== 'object' || value === null) return DEFAULT_SOUND;
  const { muted, volume } = value as Record<string, unknown>;
  return {
    muted: typeof muted === 'boolean' ? muted : DEFAULT_SOUND.muted,
    volume: typeof volume === 'number' && volume >= 0 && volume <= 1 ? volume : DEFAULT_SOUND.volume,
  };
}

export function readSoundPrefs(): SoundPrefs {
  return parseSoundPrefs(readStored(SOUND_KEY));
}

export function writeSoundPrefs(prefs: SoundPrefs): void {
  writeStored(SOUND_KEY, JSON.stringify(prefs));
}
