import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeFor } from './route.ts';

// Stream ids are ULIDs (shared/stream-id.ts); any other id routes to "Page not found" without a lookup.
const ID = '01HZX3Y7K2ABCDEFGHJKMNPQRS';

test('routeFor maps paths to pages', () => {
  const table: Array<[string, ReturnType<typeof routeFor>]> = [
    ['/', { page: 'home' }],
    ['', { page: 'home' }],
    ['/live', { page: 'live' }],
    ['/live/', { page: 'live' }],
    [`/watch/${ID}`, { page: 'watch', streamId: ID }],
    [`/watch/${ID}/`, { page: 'watch', streamId: ID }],
    [`/watch/${ID.slice(0, -1)}%${ID.charCodeAt(25).toString(16)}`, { page: 'watch', streamId: ID }],
    ['/watch/', { page: 'not-found' }],
    ['/watch/a/b', { page: 'not-found' }],
    [`/watch/${ID}/extra`, { page: 'not-found' }],
    ['/watch/%3Cscript%3E', { page: 'not-found' }],
    ['/watch/%E0%A4%A', { page: 'not-found' }],
    ['/watch/no-such-stream', { page: 'not-found' }],
    ['/watch/abc_def-1', { page: 'not-found' }],
    [`/watch/${ID.slice(0, -1)}`, { page: 'not-found' }],
    [`/watch/${ID}0`, { page: 'not-found' }],
    [`/watch/${ID.toLowerCase()}`, { page: 'not-found' }],
    ['/live/extra', { page: 'not-found' }],
    ['/nope', { page: 'not-found' }],
  ];
  for (const [path, expected] of table) assert.deepEqual(routeFor(path), expected, path);
});
