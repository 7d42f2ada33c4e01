import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CREATOR_MAX_CHARS, TITLE_MAX_CHARS, validateNewStream } from './stream-fields.ts';

test('new stream fields: accepted, trimmed', () => {
  const rows: Array<[unknown, { title: string; creator: string }]> = [
    [
      { title: 'Morning run', creator: 'alice' },
      { title: 'Morning run', creator: 'alice' },
    ],
    [
      { title: '  padded  ', creator: ' bob ' },
      { title: 'padded', creator: 'bob' },
    ],
    [
      { title: 't'.repeat(TITLE_MAX_CHARS), creator: 'c'.repeat(CREATOR_MAX_CHARS) },
      { title: 't'.repeat(TITLE_MAX_CHARS), creator: 'c'.repeat(CREATOR_MAX_CHARS) },
    ],
    [
      { title: 'Émile 🎥 <live> & "quotes"', creator: 'Zoë_de-Vries.2' },
      { title: 'Émile 🎥 <live> & "quotes"', creator: 'Zoë_de-Vries.2' },
    ],
    [
      { title: 'x', creator: 'José María', extra: 1 },
      { title: 'x', creator: 'José María' },
    ],
    [
      { title: 'x', creator: '田中' },
      { title: 'x', creator: '田中' },
    ],
  ];
  for (const [body, value] of rows)
    assert.deepEqual(validateNewStream(body), { ok: true, value }, JSON.stringify(body));
});

test('new stream fields: refused with a reason', () => {
  const rows: Array<[unknown, RegExp]> = [
    [null, /JSON object/],
    [[], /JSON object/],
    ['title', /JSON object/],
    [{ creator: 'a' }, /title must be a string/],
    [{ title: 'a' }, /creator must be a string/],
    [{ title: 5, creator: 'a' }, /title must be a string/],
    [{ title: '   ', creator: 'a' }, /title must be 1-100/],
    [{ title: 't'.repeat(TITLE_MAX_CHARS + 1), creator: 'a' }, /title must be 1-100/],
    [{ title: 'line\nbreak', creator: 'a' }, /control/],
    [{ title: 'nul\u0000', creator: 'a' }, /control/],
    [{ title: 'sep\u2028mid', creator: 'a' }, /control/],
    [{ title: 'x', creator: '' }, /creator must be 1-40/],
    [{ title: 'x', creator: 'c'.repeat(CREATOR_MAX_CHARS + 1) }, /creator must be 1-40/],
    [{ title: 'x', creator: '<script>' }, /letters, digits/],
    [{ title: 'x', creator: '-dash' }, /letters, digits/],
    [{ title: 'x', creator: 'a/b' }, /letters, digits/],
    [{ title: 'x', creator: 'tab\there' }, /letters, digits/],
  ];
  for (const [body, re] of rows) {
    const r = validateNewStream(body);
    assert.equal(r.ok, false, JSON.stringify(body));
    if (!r.ok) assert.match(r.error, re, JSON.stringify(body));
  }
});
