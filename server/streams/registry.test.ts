import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { loadConfig } from '../config.ts';
import { StreamRegistry } from './registry.ts';

function setup(maxPendingStreams: number, maxStreams: number) {
  const clock = new FakeClock();
  const { streams } = loadConfig({});
  const registry = new StreamRegistry({
    limits: streams,
    clock,
    log: pino({ level: 'silent' }),
    machineId: '0123456789abcd',
    region: 'ams',
    maxStreams,
    maxPendingStreams,
  });
  const create = () => {
    const created = registry.create({ title: 'x', creator: 'y' });
    assert.ok(created.ok, created.ok ? '' : created.error);
    return created.stream;
  };
  return { clock, registry, create, startTimeoutMs: streams.publishStartTimeoutMs };
}

test('the start timeout is 15 s by default', () => {
  assert.equal(loadConfig({}).streams.publishStartTimeoutMs, 15_000);
});

test('created streams nobody published to are capped per Machine; the refusal says when the oldest times out', () => {
  const { clock, registry, create, startTimeoutMs } = setup(2, 10);
  const first = create();
  clock.advance(5000);
  create();
  assert.equal(registry.refusal()?.status, 503, 'one over the cap of 2');
  assert.deepEqual(registry.refusal(), {
    status: 503,
    error: 'this Machine already has 2 new streams waiting for their publisher',
    retryAfterMs: startTimeoutMs - 5000,
  });
  const refused = registry.create({ title: 'x', creator: 'y' });
  assert.equal(refused.ok, false);

  first.connectPublisher(new FakePeer());
  assert.equal(registry.refusal(), null, 'a published stream is no longer pending');
  create();
  assert.notEqual(registry.refusal(), null);
  clock.advance(startTimeoutMs - 1);
  assert.notEqual(registry.refusal(), null);
  clock.advance(1);
  assert.equal(registry.refusal(), null, 'pending streams time out and free their slots');
});

test('MAX_STREAMS still applies to live streams, before the pending cap', () => {
  const { registry, create } = setup(5, 2);
  create().connectPublisher(new FakePeer());
  create().connectPublisher(new FakePeer());
  assert.deepEqual(registry.refusal(), {
    status: 503,
    error: 'this Machine already hosts its maximum of 2 streams',
    retryAfterMs: 10_000,
  });
});
