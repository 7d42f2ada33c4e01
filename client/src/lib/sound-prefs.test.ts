import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SOUND, parseSoundPrefs } from './sound-prefs.ts';

test('parseSoundPrefs: a stored choice is read back; whatever is broken falls back field by field', () => {
  const table: Array<[string, { muted: boolean; volume: number }]> = [
    ['', DEFAULT_SOUND],
    ['not json', DEFAULT_SOUND],
    ['null', DEFAULT_SOUND],
    ['[]', DEFAULT_SOUND],
    ['{"muted":false,"volume":0.5}', { muted: false, volume: 0.5 }],
    ['{"muted":false,"volume":0}', { muted: false, volume: 0 }],
    ['{"muted":false,"volume":1}', { muted: false, volume: 1 }],
    ['{"muted":false,"volume":1.01}', { muted: false, volume: DEFAULT_SOUND.volume }],
    ['{"muted":false,"volume":-0.1}', { muted: false, volume: DEFAULT_SOUND.volume }],
    ['{"muted":"no","volume":0.3}', { muted: DEFAULT_SOUND.muted, volume: 0.3 }],
  ];
  for (const [text, prefs] of table) assert.deepEqual(parseSoundPrefs(text), prefs, text);
  assert.equal(DEFAULT_SOUND.muted, true, 'a first visit starts muted');
});
