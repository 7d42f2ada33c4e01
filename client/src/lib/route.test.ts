import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeFor } from './route.ts';

test('routeFor maps paths to pages', () => {
  const table: Array<[string, ReturnType<typeof routeFor>]> = [
    ['/', { page: 'home' }],
    ['', { page: 'home' }],
    ['/live', { page: 'live' }],
    ['/live/', { page: 'live' }],
    ['/watch/01HZX3Y7K2ABCDEF', { page: 'watch', streamId: '01HZX3Y7K2ABCDEF' }],
    ['/watch/abc_def-1/', { page: 'watch', streamId: 'abc_def-1' }],
    ['/watch/', { page: 'not-found' }],
    ['/watch/a/b', { page: 'not-found' }],
    ['/watch/%3Cscript%3E', { page: 'not-found' }],
    ['/watch/%E0%A4%A', { page: 'not-found' }],
    [`/watch/${'a'.repeat(65)}`, { page: 'not-found' }],
    ['/live/extra', { page: 'not-found' }],
    ['/nope', { page: 'not-found' }],
  ];
  for (const [path, expected] of table) assert.deepEqual(routeFor(path), expected, path);
});
