import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AUDIO_DESCRIPTION_MAX_BYTES,
  AUDIO_MAX_CHANNELS,
  AUDIO_MAX_SAMPLE_RATE_HZ,
  AUDIO_MIN_SAMPLE_RATE_HZ,
  parseAudioConfig,
  sameAudioConfig,
} from './audio-config.ts';

const opus = { codec: 'opus', sampleRate: 48000, numberOfChannels: 1 };
const b64 = (bytes: number) => btoa('x'.repeat(bytes));

test('parseAudioConfig: accepted at each edge', () => {
  const accepted = [
    opus,
    { ...opus, sampleRate: AUDIO_MIN_SAMPLE_RATE_HZ },
    { ...opus, sampleRate: AUDIO_MAX_SAMPLE_RATE_HZ },
    { ...opus, numberOfChannels: AUDIO_MAX_CHANNELS },
    { ...opus, description: b64(19) },
    { ...opus, description: b64(AUDIO_DESCRIPTION_MAX_BYTES) },
    { ...opus, codec: 'mp4a.40.2' },
  ];
  for (const c of accepted) assert.deepEqual(parseAudioConfig(c), { ok: true, value: c }, JSON.stringify(c));
  // null description means none; unknown fields are not copied.
  assert.deepEqual(parseAudioConfig({ ...opus, description: null, future: 1 }), { ok: true, value: opus });
});

test('parseAudioConfig: refused just past each edge, with the field named', () => {
  const refused: Array<[unknown, RegExp]> = [
    [null, /object/],
    [[opus], /object/],
    [{ ...opus, codec: undefined }, /codec/],
    [{ ...opus, codec: 'o'.repeat(101) }, /codec/],
    [{ ...opus, codec: 'opus<' }, /codec/],
    [{ ...opus, sampleRate: AUDIO_MIN_SAMPLE_RATE_HZ - 1 }, /sampleRate/],
    [{ ...opus, sampleRate: AUDIO_MAX_SAMPLE_RATE_HZ + 1 }, /sampleRate/],
    [{ ...opus, sampleRate: 48000.5 }, /sampleRate/],
    [{ ...opus, sampleRate: '48000' }, /sampleRate/],
    [{ ...opus, numberOfChannels: 0 }, /numberOfChannels/],
    [{ ...opus, numberOfChannels: AUDIO_MAX_CHANNELS + 1 }, /numberOfChannels/],
    [{ ...opus, description: 'abc' }, /base64/],
    [{ ...opus, description: 7 }, /base64/],
    [{ ...opus, description: b64(AUDIO_DESCRIPTION_MAX_BYTES + 3) }, /over 1024 bytes/],
  ];
  for (const [c, re] of refused) {
    const r = parseAudioConfig(c);
    assert.equal(r.ok, false, JSON.stringify(c));
    if (!r.ok) assert.match(r.error, re, JSON.stringify(c));
  }
});

test('sameAudioConfig compares every field, and null only equals null', () => {
  const table: Array<[Parameters<typeof sameAudioConfig>[0], Parameters<typeof sameAudioConfig>[1], boolean]> = [
    [null, null, true],
    [opus, null, false],
    [null, opus, false],
    [opus, { ...opus }, true],
    [opus, { ...opus, sampleRate: 24000 }, false],
    [opus, { ...opus, numberOfChannels: 2 }, false],
    [opus, { ...opus, codec: 'flac' }, false],
    [opus, { ...opus, description: 'AAAA' }, false],
  ];
  for (const [a, b, same] of table)
    assert.equal(sameAudioConfig(a, b), same, `${JSON.stringify(a)} ${JSON.stringify(b)}`);
});
