import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCreated, refusalText } from './create-stream.ts';

const created = {
  id: '01HZX3Y7K2ABCDEFGHJKMNPQRS',
  publishToken: 'tok',
  watchUrl: '/watch/01HZX3Y7K2ABCDEFGHJKMNPQRS?instance=0123456789abcd',
  machineId: '0123456789abcd',
  region: 'ams',
};

test('parseCreated: the fields of a 201, nothing more; anything malformed is null', () => {
  assert.deepEqual(parseCreated({ ...created, extra: 1 }), created);
  assert.deepEqual(parseCreated({ ...created, machineId: null, region: null }), {
    ...created,
    machineId: null,
    region: null,
  });
  const broken: Array<[string, unknown]> = [
    ['null', null],
    ['an array', [created]],
    ['text', 'created'],
    ['id missing', { ...created, id: undefined }],
    ['publishToken a number', { ...created, publishToken: 5 }],
    ['watchUrl null', { ...created, watchUrl: null }],
    ['machineId a number', { ...created, machineId: 1 }],
    ['region missing', { ...created, region: undefined }],
  ];
  for (const [what, body] of broken) assert.equal(parseCreated(body), null, what);
});

test('refusalText: the server reason when it gave one, else the status', () => {
  const table: Array<[number, unknown, string]> = [
    [
      400,
      { error: 'title must be 1-100 characters' },
      'The stream could not be created: title must be 1-100 characters.',
    ],
    [503, { error: 'this Machine is full' }, 'The stream could not be created: this Machine is full.'],
    [502, null, 'The stream could not be created: HTTP 502.'],
    [500, { error: 5 }, 'The stream could not be created: HTTP 500.'],
    [413, [{ error: 'x' }], 'The stream could not be created: HTTP 413.'],
  ];
  for (const [status, body, expected] of table) assert.equal(refusalText(status, body), expected);
});
