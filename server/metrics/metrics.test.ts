import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleValue } from '../../test/support/prom-text.ts';
import { AppMetrics } from './metrics.ts';

test('routing decisions are counted by action and reason; replays by reason', async () => {
  const m = new AppMetrics();
  m.recordDecision({ action: 'serve', reason: 'any-machine' });
  m.recordDecision({ action: 'serve', reason: 'any-machine' });
  m.recordDecision({ action: 'serve', reason: 'cookie-self' });
  m.recordDecision({
    action: 'replay',
    reason: 'cookie',
    target: 'fedcba98765432',
    header: 'prefer_instance=fedcba98765432',
  });
  m.recordDecision({
    action: 'replay',
    reason: 'instance',
    target: 'fedcba98765432',
    header: 'instance=fedcba98765432;timeout=5s;fallback=prefer_self',
  });
  m.recordDecision({ action: 'reject', reason: 'body-too-large', status: 413, error: 'too large' });
  const text = await m.registry.metrics();
  assert.equal(sampleValue(text, 'replaycast_routing_decisions_total', { action: 'serve', reason: 'any-machine' }), 2);
  assert.equal(sampleValue(text, 'replaycast_routing_decisions_total', { action: 'serve', reason: 'cookie-self' }), 1);
  assert.equal(sampleValue(text, 'replaycast_routing_decisions_total', { action: 'replay', reason: 'cookie' }), 1);
  assert.equal(
    sampleValue(text, 'replaycast_routing_decisions_total', { action: 'reject', reason: 'body-too-large' }),
    1,
  );
  assert.equal(sampleValue(text, 'replaycast_replays_total', { reason: 'cookie' }), 1);
  assert.equal(sampleValue(text, 'replaycast_replays_total', { reason: 'instance' }), 1);
  // A served request is not a replay: the target Machine id never becomes a label (unbounded cardinality).
  assert.doesNotMatch(text, /fedcba98765432/);
  // Counts are totals: a second scrape repeats them, later decisions add to them.
  m.recordDecision({ action: 'serve', reason: 'cookie-self' });
  const again = await m.registry.metrics();
  assert.equal(sampleValue(again, 'replaycast_routing_decisions_total', { action: 'serve', reason: 'any-machine' }), 2);
  assert.equal(sampleValue(again, 'replaycast_routing_decisions_total', { action: 'serve', reason: 'cookie-self' }), 2);
  assert.equal(sampleValue(again, 'replaycast_replays_total', { reason: 'cookie' }), 1);
});

test('stream and directory figures are read from their stats() at every scrape', async () => {
  let streams = { liveStreams: 2, viewers: 9, framesSent: 120, framesSkipped: 4, chatMessages: 7 };
  let now = 50_000;
  const m = new AppMetrics({
    streams: () => streams,
    directory: () => ({ dnsFailures: 3, fetchesFailed: 1, lastDiscoveryOkMs: 42_000, stale: true }),
    now: () => now,
  });
  let text = await m.registry.metrics();
  assert.equal(sampleValue(text, 'replaycast_live_streams'), 2);
  assert.equal(sampleValue(text, 'replaycast_viewers'), 9);
  assert.equal(sampleValue(text, 'replaycast_frames_sent_total'), 120);
  assert.equal(sampleValue(text, 'replaycast_frames_skipped_total'), 4);
  assert.equal(sampleValue(text, 'replaycast_chat_messages_total'), 7);
  assert.equal(sampleValue(text, 'replaycast_discovery_failures_total'), 3);
  assert.equal(sampleValue(text, 'replaycast_peer_fetch_failures_total'), 1);
  assert.equal(sampleValue(text, 'replaycast_directory_staleness_seconds'), 8);
  assert.equal(sampleValue(text, 'replaycast_directory_stale'), 1);

  streams = { liveStreams: 1, viewers: 3, framesSent: 200, framesSkipped: 4, chatMessages: 8 };
  now = 53_000;
  text = await m.registry.metrics();
  assert.equal(sampleValue(text, 'replaycast_live_streams'), 1);
  assert.equal(sampleValue(text, 'replaycast_viewers'), 3);
  assert.equal(
    sampleValue(text, 'replaycast_frames_sent_total'),
    200,
    "a total is the feature's running total, not a sum of scrapes",
  );
  assert.equal(sampleValue(text, 'replaycast_chat_messages_total'), 8);
  assert.equal(sampleValue(text, 'replaycast_directory_staleness_seconds'), 11);
});

test('a source that throws is reported and skipped; the scrape still succeeds', async () => {
  const errors: string[] = [];
  const m = new AppMetrics({
    streams: () => {
      throw new Error('boom');
    },
    directory: () => ({ dnsFailures: 2 }),
    onSourceError: (source) => errors.push(source),
  });
  const text = await m.registry.metrics();
  assert.equal(sampleValue(text, 'replaycast_discovery_failures_total'), 2);
  assert.equal(sampleValue(text, 'replaycast_live_streams'), 0);
  assert.ok(errors.length > 0 && errors.every((s) => s === 'streams'));
});

test('without streams or directory the metrics exist at zero', async () => {
  const text = await new AppMetrics().registry.metrics();
  for (const name of [
    'replaycast_live_streams',
    'replaycast_viewers',
    'replaycast_frames_sent_total',
    'replaycast_discovery_failures_total',
  ]) {
    assert.equal(sampleValue(text, name), 0, name);
  }
});

test('process metrics are added once, on demand', async () => {
  const m = new AppMetrics();
  assert.doesNotMatch(await m.registry.metrics(), /process_cpu_user_seconds_total/);
  m.enableProcessMetrics();
  m.enableProcessMetrics();
  assert.match(await m.registry.metrics(), /process_cpu_user_seconds_total/);
});
