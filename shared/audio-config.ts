/**
 * The audio track's decoder config, as the publisher's `audio-config` message and a viewer's hello
 * carry it (shared/PROTOCOL.md). Imported by the server and the browser: no Node-only APIs.
 */

import { isObject } from './guards.ts';

/** What `AudioDecoder.configure()` needs; `description` is base64 (Opus: the 19-byte OpusHead). */
export interface AudioConfig {
  codec: string;
  sampleRate: number;
  numberOfChannels: number;
  description?: string;
}

/** Codec strings longer than this are refused ("opus" is 4 characters). */
export const AUDIO_CODEC_MAX_CHARS = 100;
/** Sample rates accepted in a config, in Hz (Opus runs at 8-48 kHz; the app sends 48 kHz). */
export const AUDIO_MIN_SAMPLE_RATE_HZ = 8_000;
export const AUDIO_MAX_SAMPLE_RATE_HZ = 192_000;
/** Channels accepted in a config (the app sends mono). */
export const AUDIO_MAX_CHANNELS = 8;
/** Audio `description` cap, in bytes before base64 (an OpusHead is 19 bytes, 21 + channels with a mapping table). */
export const AUDIO_DESCRIPTION_MAX_BYTES = 1024;

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

function wholeIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks an audio config from the wire; the reason names the field, as the server's `error` says it. */
export function parseAudioConfig(v: unknown): Result<AudioConfig> {
  if (!isObject(v)) return { ok: false, error: 'audio config must be an object' };
  const { codec, sampleRate, numberOfChannels, description } = v;
  if (
    typeof codec !== 'string' ||
    codec.length === 0 ||
    codec.length > AUDIO_CODEC_MAX_CHARS ||
    !/^[\w.+-]+$/.test(codec)
  ) {
    return {
      ok: false,
      error: `audio config.codec must be a codec string like "opus" (1-${AUDIO_CODEC_MAX_CHARS} chars of letters, digits, . + - _)`,
    };
  }
  if (!wholeIn(sampleRate, AUDIO_MIN_SAMPLE_RATE_HZ, AUDIO_MAX_SAMPLE_RATE_HZ)) {
    return {
      ok: false,
      error: `audio config.sampleRate must be a whole number of Hz from ${AUDIO_MIN_SAMPLE_RATE_HZ} to ${AUDIO_MAX_SAMPLE_RATE_HZ}`,
    };
  }
  if (!wholeIn(numberOfChannels, 1, AUDIO_MAX_CHANNELS)) {
    return { ok: false, error: `audio config.numberOfChannels must be a whole number from 1 to ${AUDIO_MAX_CHANNELS}` };
  }
  const config: AudioConfig = { codec, sampleRate, numberOfChannels };
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string' || description.length % 4 !== 0 || !BASE64_RE.test(description)) {
      return { ok: false, error: 'audio config.description must be base64' };
    }
    if ((description.length / 4) * 3 > AUDIO_DESCRIPTION_MAX_BYTES + 2) {
      return { ok: false, error: `audio config.description over ${AUDIO_DESCRIPTION_MAX_BYTES} bytes` };
    }
    config.description = description;
  }
  return { ok: true, value: config };
}

/** Whether two configs (either may be null: no audio) describe the same decoder setup. */
export function sameAudioConfig(a: AudioConfig | null, b: AudioConfig | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.codec === b.codec &&
    a.sampleRate === b.sampleRate &&
    a.numberOfChannels === b.numberOfChannels &&
    a.description === b.description
  );
}
