import assert from 'node:assert/strict';
import { test } from 'node:test';
import { directorySample, streamSample } from './samples.ts';

test('streamSample reads the relay stats and drops malformed fields', () => {
  const rows: [unknown, ReturnType<typeof streamSample>][] = [
    [
      { liveStreams: 2, viewers: 7, publishers: 2, framesSent: 100, framesSkipped: 3, chatMessages: 5, bytesSent: 9 },
      { liveStreams: 2, viewers: 7, framesSent: 100, framesSkipped: 3, chatMessages: 5 },
    ],
    [
      { liveStreams: 0, viewers: 0, framesSent: 0, framesSkipped: 0, chatMessages: 0 },
      { liveStreams: 0, viewers: 0, framesSent: 0, framesSkipped: 0, chatMessages: 0 },
    ],
    [{ liveStreams: -1, viewers: '7', framesSent: Number.NaN, framesSkipped: Infinity, chatMessages: null }, {}],
    [undefined, {}],
    [null, {}],
    ['stats', {}],
  ];
  for (const [stats, expected] of rows) {
    const sample = streamSample(stats);
    const defined = Object.fromEntries(Object.entries(sample).filter(([, v]) => v !== undefined));
    assert.deepEqual(defined, expected, JSON.stringify(stats));
  }
});

test('directorySample reads failures, staleness and the stale flag', () => {
  const now = 1_000_000;
  const rows: [unknown, ReturnType<typeof directorySample>][] = [
    [
      { dnsFailures: 4, fetchesFailed: 2, lastDiscoveryOkMs: now - 2500, stale: true },
      { discoveryFailures: 4, peerFetchFailures: 2, stalenessSeconds: 2.5, stale: true },
    ],
    [
      { dnsFailures: 0, fetchesFailed: 0, lastDiscoveryOkMs: now, stale: false },
      { discoveryFailures: 0, peerFetchFailures: 0, stalenessSeconds: 0, stale: false },
    ],
    // A clock step backwards never gives a negative age.
    [{ lastDiscoveryOkMs: now + 5000 }, { stalenessSeconds: 0 }],
    // Before the first successful round there is no age to report.
    [
      { dnsFailures: 1, lastDiscoveryOkMs: null, stale: true },
      { discoveryFailures: 1, stale: true },
    ],
    [{ dnsFailures: '1', stale: 'yes' }, {}],
    [undefined, {}],
  ];
  for (const [stats, expected] of rows) {
    const sample = directorySample(stats, now);
    const defined = Object.fromEntries(Object.entries(sample).filter(([, v]) => v !== undefined));
    assert.deepEqual(defined, expected, JSON.stringify(stats));
  }
});
