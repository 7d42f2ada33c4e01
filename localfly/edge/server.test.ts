import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { type TestContext, test } from 'node:test';
import WebSocket from 'ws';
import { FakeMachines } from '../fixtures/fake-machines.ts';
import { until } from '../fixtures/support.ts';
import { Load } from './load.ts';
import { type EdgeLogEvent, MAX_REPLAY_BODY_BYTES, startEdge } from './server.ts';
import { Stats } from './stats.ts';

const AMS = 'a0a0a0a0a0a0a0';
const DFW = 'd0d0d0d0d0d0d0';
const DFW2 = 'd2d2d2d2d2d2d2';
const GONE = 'ffffffffffffff';

async function setup(
  t: TestContext,
  machines: Array<[string, string, ('started' | 'stopped')?]> = [
    [AMS, 'ams'],
    [DFW, 'dfw'],
  ],
) {
  const fakes = new FakeMachines();
  for (const [id, region, state] of machines) await fakes.add(id, region, state);
  const stats = new Stats(['ams', 'dfw']);
  const load = new Load();
  const logs: EdgeLogEvent[] = [];
  const edges = {
    ams: await startEdge({
      region: 'ams',
      port: 0,
      upstreams: fakes,
      load,
      stats,
      autoStartTimeoutMs: 3000,
      log: (e) => logs.push(e),
      random: () => 0,
    }),
    dfw: await startEdge({
      region: 'dfw',
      port: 0,
      upstreams: fakes,
      load,
      stats,
      autoStartTimeoutMs: 3000,
      log: (e) => logs.push(e),
      random: () => 0,
    }),
  };
  t.after(async () => {
    await Promise.all([edges.ams.close(), edges.dfw.close()]);
    await fakes.close();
  });
  return { fakes, stats, load, logs, edges };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => any;
}

/** A plain node:http request (no redirects followed, no pooling). Body chunks are sent without content-length. */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer; chunks?: Buffer[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(options.body.length);
    const req = http.request(
      url,
      { method: options.method ?? (options.body || options.chunks ? 'POST' : 'GET'), headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    if (options.chunks) for (const c of options.chunks) req.write(c);
    req.end(options.body);
  });
}

test('a request gets the headers Fly adds and lands on a Machine in the edge region', async (t) => {
  const { fakes, edges } = await setup(t);
  const before = Date.now() * 1000;
  const reply = await request(`${edges.ams.url}/hello?x=1`, { headers: { 'x-forwarded-for': '10.1.1.1' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.json().machine, AMS);
  const [seen] = fakes.seenBy(AMS);
  const h = seen!.headers;
  assert.equal(seen!.url, '/hello?x=1');
  assert.equal(h['fly-region'], 'ams');
  assert.match(String(h['fly-request-id']), /^[0-9A-HJKMNP-TV-Z]{26}-ams$/);
  assert.equal(h['fly-client-ip'], '127.0.0.1');
  assert.equal(h['x-forwarded-for'], '10.1.1.1, 127.0.0.1, 127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['fly-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-port'], String(edges.ams.port));
  assert.equal(h['fly-forwarded-port'], String(edges.ams.port));
  assert.equal(h['x-forwarded-ssl'], 'off');
  assert.equal(h['fly-forwarded-ssl'], 'off');
  assert.equal(h.via, '1.1 fly.io');
  const start = Number(/^t=(\d{16})$/.exec(String(h['x-request-start']))?.[1]);
  assert.ok(start >= before - 1000 && start <= Date.now() * 1000 + 1000);
  // The response: the Machine's headers (both cookies), plus the request id and via.
  assert.equal(reply.headers['fly-request-id'], h['fly-request-id']);
  assert.equal(reply.headers.via, '1.1 fly.io');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);

  assert.equal((await request(`${edges.dfw.url}/`)).json().machine, DFW);
});

test('without a Machine in its region an edge uses the nearest region; least loaded wins in a region', async (t) => {
  const { fakes, edges, load } = await setup(t, [
    [DFW, 'dfw'],
    [DFW2, 'dfw'],
  ]);
  const busy = load.begin(DFW);
  t.after(busy);
  assert.equal((await request(`${edges.ams.url}/`)).json().machine, DFW2);
  busy();
  assert.equal((await request(`${edges.ams.url}/`)).json().machine, DFW, 'ties go to the first (random = 0)');
  assert.equal(fakes.seenBy(DFW)[0]!.headers['fly-region'], 'ams', 'fly-region is the edge, not the Machine');
});

test('fly-force-instance-id: that Machine only; unknown is PR02; stopped is started first', async (t) => {
  const { fakes, edges, stats } = await setup(t, [
    [AMS, 'ams'],
    [DFW, 'dfw'],
    [DFW2, 'dfw', 'stopped'],
  ]);
  assert.equal((await request(`${edges.ams.url}/`, { headers: { 'fly-force-instance-id': DFW } })).json().machine, DFW);

  const missing = await request(`${edges.ams.url}/`, { headers: { 'fly-force-instance-id': GONE } });
  assert.equal(missing.status, 503);
  assert.match(missing.text, /^localfly proxy error PR02: no Machine ffffffffffffff/);
  assert.match(String(missing.headers['fly-request-id']), /-ams$/);
  assert.deepEqual(stats.snapshot().edges.ams!.errors, { total: 1, byCode: { PR02: 1 } });

  const started = await request(`${edges.ams.url}/`, { headers: { 'fly-force-instance-id': DFW2 } });
  assert.equal(started.json().machine, DFW2);
  assert.deepEqual(fakes.startCalls, [DFW2]);
});

test('fly-prefer-instance-id falls back and says so; fly-prefer-region and fly-force-region', async (t) => {
  const { fakes, edges } = await setup(t);
  assert.equal(
    (await request(`${edges.ams.url}/`, { headers: { 'fly-prefer-instance-id': DFW } })).json().machine,
    DFW,
  );
  assert.equal(fakes.seenBy(DFW)[0]!.headers['fly-preferred-instance-unavailable'], undefined);

  assert.equal(
    (await request(`${edges.ams.url}/`, { headers: { 'fly-prefer-instance-id': GONE } })).json().machine,
    AMS,
  );
  assert.equal(fakes.seenBy(AMS)[0]!.headers['fly-preferred-instance-unavailable'], GONE);

  assert.equal((await request(`${edges.ams.url}/`, { headers: { 'fly-prefer-region': 'dfw' } })).json().machine, DFW);
  assert.equal((await request(`${edges.ams.url}/`, { headers: { 'fly-prefer-region': 'syd' } })).json().machine, AMS);
  assert.equal((await request(`${edges.ams.url}/`, { headers: { 'fly-force-region': 'dfw' } })).json().machine, DFW);
  const none = await request(`${edges.ams.url}/`, { headers: { 'fly-force-region': 'syd' } });
  assert.equal(none.status, 503);
  assert.match(none.text, /PR01/);
});

test('fly-replay header: the whole request is re-sent with fly-replay-src; the client sees only the final answer', async (t) => {
  const { fakes, edges, stats, logs } = await setup(t);
  const body = Buffer.from('{"hello":"world"}');
  const reply = await request(`${edges.ams.url}/api/thing?instance=${DFW}`, {
    method: 'PUT',
    body,
    headers: {
      'content-type': 'application/json',
      [`x-replay-${AMS}`]: `instance=${DFW};timeout=5s;fallback=prefer_self`,
    },
  });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['fly-replay'], undefined);
  assert.deepEqual(reply.json(), {
    machine: DFW,
    method: 'PUT',
    url: `/api/thing?instance=${DFW}`,
    bodyBytes: body.length,
  });

  const [first] = fakes.seenBy(AMS);
  const [replayed] = fakes.seenBy(DFW);
  assert.equal(replayed!.body.toString(), body.toString());
  assert.equal(replayed!.headers['content-type'], 'application/json');
  assert.equal(replayed!.headers['fly-request-id'], first!.headers['fly-request-id'], 'same request');
  const src = /^instance=([0-9a-f]{14});region=(\w+);t=(\d{16})$/.exec(String(replayed!.headers['fly-replay-src']));
  assert.ok(src, String(replayed!.headers['fly-replay-src']));
  assert.deepEqual([src[1], src[2]], [AMS, 'ams']);
  assert.ok(Math.abs(Number(src[3]) / 1000 - Date.now()) < 5000, 't is µs since the epoch');
  assert.equal(first!.headers['fly-replay-src'], undefined);

  const s = stats.snapshot();
  assert.equal(s.edges.ams!.requests, 1);
  assert.deepEqual(s.edges.ams!.replays, { total: 1, instance: 1, prefer_instance: 0, region: 0, any: 0 });
  assert.ok(
    logs.some((l) => l.message === `ams edge -> ${AMS} replay -> ${DFW} (instance)`),
    JSON.stringify(logs),
  );
});

test('fly-replay on any status, prefer_instance, region, elsewhere, state', async (t) => {
  const { fakes, edges, stats } = await setup(t, [
    [AMS, 'ams'],
    [DFW, 'dfw'],
    [DFW2, 'dfw'],
  ]);
  const rows: Array<[string, number, string, string]> = [
    [`prefer_instance=${DFW2}`, 200, DFW2, 'prefer_instance'],
    ['region=dfw', 404, DFW, 'region'],
    ['region="syd,dfw"', 500, DFW, 'region'],
    ['elsewhere=true', 202, DFW, 'any'],
  ];
  for (const [header, status, target] of rows) {
    fakes.behaviour = (seen) => (seen.machine === AMS ? { status, headers: { 'fly-replay': header } } : null);
    const reply = await request(`${edges.ams.url}/`);
    assert.equal(reply.json().machine, target, header);
  }
  assert.deepEqual(stats.snapshot().edges.ams!.replays, {
    total: 4,
    instance: 0,
    prefer_instance: 1,
    region: 2,
    any: 1,
  });

  fakes.behaviour = (seen) =>
    seen.machine === AMS ? { status: 307, headers: { 'fly-replay': `instance=${DFW};state=captured_write` } } : null;
  await request(`${edges.ams.url}/`);
  assert.match(
    String(fakes.seenBy(DFW).at(-1)!.headers['fly-replay-src']),
    new RegExp(`^instance=${AMS};region=ams;t=\\d+;state=captured_write$`),
  );

  // prefer_instance of a Machine that does not exist: the nearest Machine (here the source itself), flagged.
  fakes.behaviour = (seen) =>
    seen.machine === AMS && seen.headers['fly-replay-src'] === undefined
      ? { status: 307, headers: { 'fly-replay': `prefer_instance=${GONE}` } }
      : null;
  const fallback = await request(`${edges.ams.url}/`);
  assert.equal(fallback.json().machine, AMS);
  assert.equal(fakes.seen.at(-1)!.headers['fly-preferred-instance-unavailable'], GONE);
  assert.match(String(fakes.seen.at(-1)!.headers['fly-replay-src']), new RegExp(`^instance=${AMS};`));
});

test('the JSON form: fields from the body, transform applied, any status', async (t) => {
  const { fakes, edges } = await setup(t);
  fakes.behaviour = (seen) =>
    seen.machine === AMS
      ? {
          status: 200,
          headers: { 'content-type': 'application/vnd.fly.replay+json' },
          body: JSON.stringify({
            instance: DFW,
            state: 'json',
            transform: {
              path: '/moved?y=2',
              delete_headers: ['x-secret'],
              set_headers: [{ name: 'x-added', value: 'yes' }],
            },
          }),
        }
      : null;
  const reply = await request(`${edges.ams.url}/orig`, { headers: { 'x-secret': 's', 'x-kept': 'k' } });
  assert.deepEqual(reply.json(), { machine: DFW, method: 'GET', url: '/moved?y=2', bodyBytes: 0 });
  const seen = fakes.seenBy(DFW)[0]!;
  assert.equal(seen.headers['x-secret'], undefined);
  assert.equal(seen.headers['x-added'], 'yes');
  assert.equal(seen.headers['x-kept'], 'k');
  assert.match(String(seen.headers['fly-replay-src']), /;state=json$/);
});

test('a failed replay with fallback comes back with fly-replay-failed and may not replay again', async (t) => {
  const { fakes, edges, stats, logs } = await setup(t);
  // The source insists on replaying, even on the fallback delivery: the edge must not follow it.
  fakes.behaviour = (seen) =>
    seen.machine === AMS
      ? {
          status: 307,
          headers: { 'fly-replay': `instance=${GONE};fallback=prefer_self`, 'x-from': 'ams' },
          body: 'local page',
        }
      : null;
  const reply = await request(`${edges.ams.url}/watch`);
  assert.equal(reply.status, 307);
  assert.equal(reply.text, 'local page');
  assert.equal(
    reply.headers['fly-replay'],
    undefined,
    'a replay header the edge did not follow is not shown to the client',
  );
  const [, back] = fakes.seenBy(AMS);
  assert.match(
    String(back!.headers['fly-replay-failed']),
    new RegExp(`^instance=${GONE};app=edge-test;replay_source=${AMS};reason=no_candidate;elapsed_ms=\\d+$`),
  );
  // The delivery back also carries the fly-replay-src of the replay that failed, so an app that
  // guards against loops with fly-replay-src sees that this request came back.
  assert.match(String(back!.headers['fly-replay-src']), new RegExp(`^instance=${AMS};region=ams;t=\\d{16}$`));
  assert.equal(fakes.seenBy(AMS).length, 2);
  assert.equal(stats.snapshot().edges.ams!.fallbacks, 1);
  assert.ok(logs.some((l) => l.level === 'warn' && l.message.includes('failed (no_candidate)')));
  assert.deepEqual(
    logs.filter((l) => l.message.includes('ignored')).map((l) => [l.level, l.message]),
    [
      [
        'warn',
        `ams edge: Machine ${AMS} answered a request delivered back after a failed replay with fly-replay: instance=${GONE};fallback=prefer_self; ignored (that request may not replay again), its answer goes to the client`,
      ],
    ],
  );

  // force_self to a region with nothing in it.
  fakes.behaviour = (seen) =>
    seen.machine === AMS && seen.headers['fly-replay-failed'] === undefined
      ? { status: 307, headers: { 'fly-replay': 'region=syd;fallback=force_self' } }
      : null;
  const forced = await request(`${edges.ams.url}/x`);
  assert.equal(forced.json().machine, AMS);
  assert.equal(logs.filter((l) => l.message.includes('ignored')).length, 1, 'an ordinary answer is not reported');
  assert.match(
    String(fakes.seenBy(AMS).at(-1)!.headers['fly-replay-failed']),
    new RegExp(`^app=edge-test;region=syd;replay_source=${AMS};reason=no_candidate;elapsed_ms=\\d+$`),
  );
});

test('a replay target that does not start within the timeout: reason=timeout, delivered back', async (t) => {
  const { fakes, edges } = await setup(t, [
    [AMS, 'ams'],
    [DFW, 'dfw', 'stopped'],
  ]);
  fakes.holdStarts = true;
  const reply = await request(`${edges.ams.url}/`, {
    headers: { [`x-replay-${AMS}`]: `instance=${DFW};timeout=300ms;fallback=prefer_self` },
  });
  assert.equal(reply.json().machine, AMS, 'answered while the start is still held');
  assert.deepEqual(fakes.startCalls, [DFW]);
  const failed = String(fakes.seenBy(AMS).at(-1)!.headers['fly-replay-failed']);
  const m = new RegExp(
    `^instance=${DFW};app=edge-test;region=dfw;replay_source=${AMS};reason=timeout;elapsed_ms=(\\d+)$`,
  ).exec(failed);
  assert.ok(m, failed);
  assert.ok(Number(m[1]) >= 300, failed);
  // A timeout of 0 leaves no time at all.
  const none = await request(`${edges.ams.url}/`, {
    headers: { [`x-replay-${AMS}`]: `instance=${DFW};timeout=0ms;fallback=force_self` },
  });
  assert.equal(none.json().machine, AMS);
  assert.match(String(fakes.seenBy(AMS).at(-1)!.headers['fly-replay-failed']), /;reason=timeout;elapsed_ms=\d+$/);
  // Forced to it while its start is held: PM05 once the auto start timeout (3000 ms here) has passed.
  const forced = await request(`${edges.ams.url}/`, { headers: { 'fly-force-instance-id': DFW } });
  assert.equal(forced.status, 503);
  const waited = /PM05: Machine d0d0d0d0d0d0d0 could not be started: it did not start within (\d+) ms\n/.exec(
    forced.text,
  );
  assert.ok(waited && Number(waited[1]) >= 1000 && Number(waited[1]) <= 3000, forced.text);
  // The start goes on; once done, the Machine takes requests.
  fakes.releaseStarts();
  await until(() => fakes.view(DFW).state === 'started', 3000, 'the start to finish');
  assert.equal((await request(`${edges.dfw.url}/`)).json().machine, DFW);
});

test('auto start on replay: a stopped target is started, then gets the request', async (t) => {
  const { fakes, edges, logs } = await setup(t, [
    [AMS, 'ams'],
    [DFW, 'dfw', 'stopped'],
  ]);
  const reply = await request(`${edges.ams.url}/`, {
    headers: { [`x-replay-${AMS}`]: `instance=${DFW};timeout=5s;fallback=prefer_self` },
  });
  assert.equal(reply.json().machine, DFW);
  assert.deepEqual(fakes.startCalls, [DFW]);
  assert.ok(logs.some((l) => l.message.includes(`auto starting Machine ${DFW}`)));
});

test('a failed replay without fallback is a PR02 5xx; a failed start is reported too', async (t) => {
  const { fakes, edges } = await setup(t, [
    [AMS, 'ams'],
    [DFW, 'dfw', 'stopped'],
  ]);
  const reply = await request(`${edges.ams.url}/`, { headers: { [`x-replay-${AMS}`]: `instance=${GONE}` } });
  assert.equal(reply.status, 503);
  assert.match(reply.text, /^localfly proxy error PR02: replay to ffffffffffffff failed \(no_candidate\)/);

  fakes.failStart.add(DFW);
  const broken = await request(`${edges.ams.url}/`, { headers: { [`x-replay-${AMS}`]: `instance=${DFW}` } });
  assert.equal(broken.status, 503);
  assert.match(
    broken.text,
    /PR02: replay to d0d0d0d0d0d0d0 failed \(retries_exhausted; Machine d0d0d0d0d0d0d0: fake d0d0d0d0d0d0d0 failed to start\)/,
  );
  // Forced to it: PM05, with why the start failed.
  const forced = await request(`${edges.ams.url}/`, { headers: { 'fly-force-instance-id': DFW } });
  assert.equal(forced.status, 503);
  assert.match(forced.text, /PM05: Machine d0d0d0d0d0d0d0 could not be started: fake d0d0d0d0d0d0d0 failed to start\n/);
});

test('invalid fly-replay is PA03; a replay to another app is PA04', async (t) => {
  const { edges, stats } = await setup(t);
  const bad = await request(`${edges.ams.url}/`, { headers: { [`x-replay-${AMS}`]: 'region=ams,dfw' } });
  assert.equal(bad.status, 502);
  assert.match(bad.text, /PA03: Machine a0a0a0a0a0a0a0 sent an invalid fly-replay: a list of regions must be quoted/);
  const app = await request(`${edges.ams.url}/`, { headers: { [`x-replay-${AMS}`]: 'app=billing' } });
  assert.equal(app.status, 502);
  assert.match(app.text, /PA04/);
  assert.deepEqual(stats.snapshot().edges.ams!.errors.byCode, { PA03: 1, PA04: 1 });
});

test('at most 10 replays per request: the 10th is followed, the 11th is PA02', async (t) => {
  const { fakes, edges, stats } = await setup(t);
  const chain = (limit: number) => {
    let bounces = 0;
    fakes.behaviour = (seen) => {
      if (bounces >= limit) return null;
      bounces++;
      return { status: 307, headers: { 'fly-replay': `instance=${seen.machine === AMS ? DFW : AMS}` } };
    };
  };
  chain(10);
  const ok = await request(`${edges.ams.url}/`);
  assert.equal(ok.status, 200);
  assert.equal(fakes.seen.length, 11);
  assert.equal(stats.snapshot().edges.ams!.replays.total, 10);

  fakes.seen.length = 0;
  chain(11);
  const tooMany = await request(`${edges.ams.url}/`);
  assert.equal(tooMany.status, 502);
  assert.match(tooMany.text, /PA02: fly-replay was returned more than 10 times/);
  assert.equal(fakes.seen.length, 11, 'the 11th fly-replay is not followed');
});

test('bodies: under 1 MiB are replayed whole; 1 MiB or more go to the first Machine only (PA01 if it asks to replay)', async (t) => {
  const { fakes, edges } = await setup(t);
  const replayTo = { [`x-replay-${AMS}`]: `instance=${DFW}` };
  const justUnder = Buffer.alloc(MAX_REPLAY_BODY_BYTES - 1, 7);
  const replayed = await request(`${edges.ams.url}/upload`, { body: justUnder, headers: replayTo });
  assert.equal(replayed.json().machine, DFW);
  assert.equal(replayed.json().bodyBytes, MAX_REPLAY_BODY_BYTES - 1);
  assert.ok(fakes.seenBy(DFW)[0]!.body.equals(justUnder));

  const limit = Buffer.alloc(MAX_REPLAY_BODY_BYTES, 8);
  const served = await request(`${edges.ams.url}/upload`, { body: limit });
  assert.deepEqual(served.json(), { machine: AMS, method: 'POST', url: '/upload', bodyBytes: MAX_REPLAY_BODY_BYTES });
  assert.ok(fakes.seenBy(AMS).at(-1)!.body.equals(limit));

  const refused = await request(`${edges.ams.url}/upload`, { body: limit, headers: replayTo });
  assert.equal(refused.status, 502);
  assert.match(refused.text, /PA01/);

  // Chunked, no declared length: buffered up to the limit, then streamed.
  const chunks = [Buffer.alloc(600 * 1024, 1), Buffer.alloc(600 * 1024, 2)];
  const chunked = await request(`${edges.ams.url}/upload`, { chunks, headers: replayTo });
  assert.equal(chunked.status, 502);
  assert.match(chunked.text, /PA01/);
  const small = await request(`${edges.ams.url}/upload`, {
    chunks: [Buffer.from('ab'), Buffer.from('cd')],
    headers: replayTo,
  });
  assert.equal(small.json().bodyBytes, 4);
});

test('a client that leaves mid-upload costs nothing upstream, and the edge carries on', async (t) => {
  const { fakes, edges } = await setup(t);
  const req = http.request(`${edges.ams.url}/upload`, {
    method: 'POST',
    headers: { 'content-length': '1000' },
    agent: false,
  });
  req.on('error', () => undefined);
  await new Promise((resolve) => req.write('partial', resolve));
  req.destroy();
  assert.equal((await request(`${edges.ams.url}/after`)).json().url, '/after');
  assert.deepEqual(
    fakes.seen.map((s) => s.url),
    ['/after'],
  );
});

test('a Machine refusing connections: skipped when load-balancing, PC01 when forced', async (t) => {
  const { fakes, edges } = await setup(t, [
    [AMS, 'ams'],
    [DFW, 'dfw'],
  ]);
  await fakes.stop(AMS, 'started');
  assert.equal((await request(`${edges.ams.url}/`)).json().machine, DFW);
  const forced = await request(`${edges.ams.url}/`, { headers: { 'fly-force-instance-id': AMS } });
  assert.equal(forced.status, 502);
  assert.match(forced.text, /PC01: Machine a0a0a0a0a0a0a0 refused the connection/);
});

test('responses stream through as they come (server-sent events), and a client leaving ends the upstream request', async (t) => {
  const { fakes, edges } = await setup(t);
  let upstreamClosed = false;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
    req.on('close', () => (upstreamClosed = true));
  });
  // Replace the dfw fake with a streaming server on its address.
  const view = fakes.view(DFW);
  await fakes.stop(DFW, 'started');
  await new Promise<void>((resolve) => server.listen(view.port, view.address, resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const req = http.get(`${edges.dfw.url}/events`, { agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  assert.equal(res.headers['content-type'], 'text/event-stream');
  const [chunk] = (await once(res, 'data')) as [Buffer];
  assert.equal(chunk.toString(), 'data: first\n\n');
  req.destroy();
  await until(() => upstreamClosed, 3000, 'the upstream request to close');
});

function openSocket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  return { ws, messages };
}

test('a WebSocket handshake is replayed like any request, then carries messages both ways', async (t) => {
  const { fakes, edges, stats, load } = await setup(t);
  const { ws, messages } = openSocket(`${edges.ams.url.replace('http', 'ws')}/ws/room?x=1`, {
    [`x-replay-${AMS}`]: `instance=${DFW};timeout=5s;fallback=prefer_self`,
  });
  t.after(() => ws.terminate());
  await once(ws, 'open');
  await until(() => messages.length === 1, 3000, 'the hello');
  assert.deepEqual(JSON.parse(messages[0]!), { machine: DFW, url: '/ws/room?x=1' });
  ws.send('ping');
  await until(() => messages.length === 2, 3000, 'the echo');
  assert.equal(messages[1], 'echo:ping');
  assert.equal(load.get(DFW), 1, 'an open socket counts as load');

  const handshakes = fakes.seen.filter((s) => s.websocket);
  assert.deepEqual(
    handshakes.map((s) => s.machine),
    [AMS, DFW],
  );
  assert.match(String(handshakes[1]!.headers['fly-replay-src']), new RegExp(`^instance=${AMS};region=ams;t=\\d+$`));
  assert.equal(handshakes[1]!.headers['fly-region'], 'ams');
  const s = stats.snapshot().edges.ams!;
  assert.equal(s.websockets, 1);
  assert.equal(s.replays.instance, 1);

  ws.close();
  await once(ws, 'close');
  await until(() => load.get(DFW) === 0, 3000, 'the load to drop');
});

test('WebSocket: a 101 carrying fly-replay is replayed too; errors and refusals reach the client as HTTP answers', async (t) => {
  const { fakes, edges } = await setup(t);
  fakes.behaviour = (seen) =>
    seen.websocket && seen.machine === AMS ? { status: 101, headers: { 'fly-replay': `instance=${DFW}` } } : null;
  const { ws, messages } = openSocket(`${edges.ams.url.replace('http', 'ws')}/ws`);
  t.after(() => ws.terminate());
  await until(() => messages.length === 1, 3000, 'the hello');
  assert.equal(JSON.parse(messages[0]!).machine, DFW);

  fakes.behaviour = () => null;
  const forced = new WebSocket(`${edges.ams.url.replace('http', 'ws')}/ws`, {
    headers: { 'fly-force-instance-id': GONE },
  });
  forced.on('error', () => undefined);
  const [, res] = (await once(forced, 'unexpected-response')) as [unknown, http.IncomingMessage];
  assert.equal(res.statusCode, 503);
  const body = (await res.toArray()).join('');
  assert.match(body, /PR02/);
  forced.terminate();

  fakes.behaviour = (seen) =>
    seen.websocket
      ? { status: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"no such stream"}' }
      : null;
  const missing = new WebSocket(`${edges.ams.url.replace('http', 'ws')}/ws/nope`);
  missing.on('error', () => undefined);
  const [, notFound] = (await once(missing, 'unexpected-response')) as [unknown, http.IncomingMessage];
  assert.equal(notFound.statusCode, 404);
  assert.equal((await notFound.toArray()).join(''), '{"error":"no such stream"}');
  missing.terminate();
});

test('WebSocket: a handshake delivered back after a failed replay may not replay again; the ignored instruction is logged', async (t) => {
  const { fakes, edges, logs } = await setup(t);
  fakes.behaviour = (seen) =>
    seen.websocket && seen.machine === AMS
      ? { status: 307, headers: { 'fly-replay': `instance=${GONE};fallback=force_self` }, body: 'not here' }
      : null;
  const socket = new WebSocket(`${edges.ams.url.replace('http', 'ws')}/ws/x`);
  socket.on('error', () => undefined);
  const [, res] = (await once(socket, 'unexpected-response')) as [unknown, http.IncomingMessage];
  assert.equal(res.statusCode, 307);
  assert.equal(res.headers['fly-replay'], undefined);
  assert.equal((await res.toArray()).join(''), 'not here');
  socket.terminate();
  const back = fakes.seenBy(AMS).at(-1)!;
  assert.match(
    String(back.headers['fly-replay-failed']),
    new RegExp(`^instance=${GONE};app=edge-test;replay_source=${AMS};`),
  );
  assert.match(String(back.headers['fly-replay-src']), new RegExp(`^instance=${AMS};region=ams;t=\\d{16}$`));
  assert.ok(
    logs.some(
      (l) =>
        l.level === 'warn' &&
        l.message.startsWith(
          `ams edge: Machine ${AMS} answered a request delivered back after a failed replay with fly-replay: instance=${GONE};fallback=force_self; ignored`,
        ),
    ),
  );
});
