import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DirectoryStream, DirectoryView, ViewEvent } from './view.ts';
import { ViewFeed } from './view-feed.ts';

const stream = (id: string, viewers = 0): DirectoryStream => ({
  id,
  title: 't',
  creator: 'c',
  machineId: 'aaaaaaaaaaaaaa',
  region: 'ams',
  viewers,
  startedAt: 1,
});
const viewOf = (...streams: DirectoryStream[]): DirectoryView => ({ streams, machines: [], stale: false });

/** The feed flushes on setImmediate; one queued after the changes runs after that flush. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('ViewFeed: a burst of changes is one diff against the view at subscribe time', async () => {
  let current = viewOf(stream('a'));
  const feed = new ViewFeed(() => current);
  const got: ViewEvent[][] = [];
  feed.subscribe((events) => got.push(events));
  current = viewOf(stream('a', 5), stream('b'));
  feed.changed();
  current = viewOf(stream('a', 6), stream('b'));
  feed.changed();
  await nextTurn();
  assert.deepEqual(got, [
    [
      { event: 'stream', data: stream('a', 6) },
      { event: 'stream', data: stream('b') },
    ],
  ]);
  // The next diff starts from the view last sent.
  current = viewOf(stream('b'));
  feed.changed();
  await nextTurn();
  assert.deepEqual(got[1], [{ event: 'stream-removed', data: { id: 'a' } }]);
});

test('ViewFeed: nothing is sent when the view did not change, or after unsubscribe', async () => {
  const current = viewOf(stream('a'));
  let built = 0;
  const feed = new ViewFeed(() => {
    built++;
    return current;
  });
  feed.changed();
  await nextTurn();
  assert.equal(built, 0, 'no listener: the view is not even built');
  let calls = 0;
  const unsubscribe = feed.subscribe(() => calls++);
  feed.changed();
  await nextTurn();
  assert.equal(calls, 0);
  assert.equal(built, 2, 'once at subscribe, once for the flush');
  unsubscribe();
  feed.changed();
  await nextTurn();
  assert.equal(built, 2);
});

test('ViewFeed: while no feed is open no view is built; a new feed is diffed from the view it was sent', async () => {
  let current = viewOf(stream('a'));
  let built = 0;
  let watching = false;
  const feed = new ViewFeed(
    () => {
      built++;
      return current;
    },
    () => watching,
  );
  const got: ViewEvent[][] = [];
  feed.subscribe((events) => got.push(events));
  const atSubscribe = built;
  for (let i = 0; i < 100; i++) {
    current = viewOf(stream('a', i));
    feed.changed();
  }
  await nextTurn();
  assert.equal(built, atSubscribe, '100 changes with no feed open built nothing');
  assert.deepEqual(got, []);

  watching = true;
  feed.baseline(current);
  current = viewOf(stream('a', 99), stream('b'));
  feed.changed();
  await nextTurn();
  assert.deepEqual(got, [[{ event: 'stream', data: stream('b') }]], 'only what changed since the state it was sent');
});
