import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { FakeStreamSource, fakeStreamsPlugin, MemoryDns } from '../../test/support/directory-cluster.ts';
import { streamId } from '../../test/support/stream-ids.ts';
import { machinePlugin } from '../machine.ts';
import { DEFAULT_DIRECTORY_LIMITS } from './limits.ts';
import { directoryPlugin } from './plugin.ts';
import type { Snapshot } from './snapshot.ts';
import { ViewCache } from './view-cache.ts';

const snap = (version: number): Snapshot => ({
  machineId: 'aaaaaaaaaaaaaa',
  region: 'ams',
  bootId: '01J0000000000000000000000A',
  version,
  streams: [],
});

test('ViewCache: built once per own snapshot and state revision, the same frozen lists in between', () => {
  let builds = 0;
  const cache = new ViewCache(() => {
    builds++;
    return {
      streams: [
        { id: `s${builds}`, title: 't', creator: 'c', machineId: 'm', region: 'ams', viewers: 0, startedAt: 1 },
      ],
      machines: [],
    };
  });
  const first = snap(1);
  const a = cache.current(first, 0);
  assert.equal(cache.current(first, 0), a, 'same key: same object');
  assert.equal(builds, 1);
  assert.equal(a.byId.get('s1'), a.streams[0]);
  assert.equal(Object.isFrozen(a.streams), true);
  assert.throws(() => (a.streams as unknown[]).push(1), TypeError, 'readers cannot change what others read');
  assert.notEqual(cache.current(first, 1), a, 'a new revision rebuilds');
  assert.notEqual(cache.current(snap(2), 1), a, 'a new own snapshot rebuilds');
  assert.equal(builds, 3);
  assert.equal(cache.builds, 3);
});

test('GET /api/streams and /api/streams/<id> answer from the view built at the last change', async (t) => {
  const source = new FakeStreamSource();
  const app = Fastify({ logger: false });
  await app.register(machinePlugin, { id: null, region: null, appName: null });
  await app.register(fakeStreamsPlugin, { source });
  await app.register(directoryPlugin, {
    host: '127.0.0.1',
    internalPort: 0,
    internalToken: null,
    discoveryIntervalMs: 5000,
    dnsServer: null,
    limits: DEFAULT_DIRECTORY_LIMITS,
    resolver: new MemoryDns().resolver,
  });
  await app.ready();
  t.after(() => app.close());
  for (let i = 0; i < 50; i++) source.start({ id: streamId(`cached-${i}`), startedAt: 1000 + i });
  const id = streamId('cached-7');

  const first = app.directory.view();
  const builds = app.directory.stats().viewBuilds;
  for (let i = 0; i < 20; i++) {
    assert.equal((await app.inject('/api/streams')).json().streams.length, 50);
    assert.equal((await app.inject(`/api/streams/${id}`)).json().id, id);
    assert.equal((await app.inject('/api/streams/no-such-stream')).statusCode, 404);
  }
  assert.equal(app.directory.stats().viewBuilds, builds, '60 reads, no rebuild');
  assert.equal(app.directory.view().streams, first.streams, 'the same list object');

  source.update(id, { viewers: 5 });
  assert.equal((await app.inject(`/api/streams/${id}`)).json().viewers, 5, 'a change is seen at once');
  assert.equal(app.directory.stats().viewBuilds, builds + 1, 'one rebuild per change');
  const before = Date.now();
  const { machines } = (await app.inject('/api/streams')).json();
  assert.ok(machines[0].lastSeenMs >= before, 'this Machine is seen now, not as of the last change');
});
