import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { sampleValue } from '../../test/support/prom-text.ts';
import { buildApp } from '../app.ts';
import { testConfig } from '../config.ts';
import { METRICS_PATH } from './plugin.ts';

const WAIT_MS = 10_000;

/** Scrapes until `ok` holds for the text (bounded), returning the last scrape. */
async function scrapeUntil(url: string, ok: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = await (await fetch(url)).text();
    if (ok(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return text;
}

test('in the real app, the metrics follow the stream relay and the directory', async (t) => {
  const app = await buildApp(
    testConfig({
      machine: { id: '0123456789abcd', region: 'ams', appName: 'replaycast-test' },
      demo: { streams: 1 },
      // Nothing answers DNS here: every discovery round fails, as during a DNS outage.
      directory: { internalPort: 0, dnsServer: '127.0.0.1:25053', discoveryIntervalMs: 100 },
    }),
    { prettyLogs: false },
  );
  t.after(() => app.close());
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const endpoint = await app.metrics.endpoint();
  assert.ok(endpoint);
  const url = `http://127.0.0.1:${endpoint.port}${METRICS_PATH}`;

  // Demo streams start in an onListen hook too, which runs after listen() resolves.
  const deadline = Date.now() + WAIT_MS;
  while (app.streams.list().length === 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const [demo] = app.streams.list();
  assert.ok(demo, 'the demo stream is live');
  const viewer = new WebSocket(`${base.replace('http', 'ws')}/ws/watch/${demo.id}`);
  viewer.on('error', () => {}); // closed by app.close() at the end; only the metrics are under test
  t.after(() => viewer.terminate());

  const text = await scrapeUntil(
    url,
    (s) =>
      sampleValue(s, 'replaycast_viewers') === 1 &&
      sampleValue(s, 'replaycast_frames_sent_total')! > 0 &&
      sampleValue(s, 'replaycast_discovery_failures_total')! > 0,
  );
  assert.equal(sampleValue(text, 'replaycast_live_streams'), 1);
  assert.equal(sampleValue(text, 'replaycast_viewers'), 1);
  assert.ok(sampleValue(text, 'replaycast_frames_sent_total')! > 0, 'frames relayed to the viewer');
  assert.ok(sampleValue(text, 'replaycast_discovery_failures_total')! > 0, 'failed discovery rounds counted');
  assert.equal(sampleValue(text, 'replaycast_directory_stale'), 1, 'never discovered: stale');
  assert.ok(
    sampleValue(text, 'replaycast_routing_decisions_total', { action: 'serve', reason: 'no-preference' })! >= 1,
    'the watch socket went through the routing hook',
  );

  // The figures are the features' own: compare with their stats() read just after a scrape.
  const again = await (await fetch(url)).text();
  const relay = app.streams.stats();
  assert.ok(sampleValue(again, 'replaycast_frames_sent_total')! <= relay.framesSent);
  assert.ok(sampleValue(again, 'replaycast_discovery_failures_total')! <= app.directory.stats().dnsFailures);
});
