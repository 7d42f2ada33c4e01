import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Decision, decide, type RoutingInput } from './decide.ts';
import type { WatchFacts } from './relay-route.ts';

const SELF = '0123456789abcd';
const OTHER = 'fedcba98765432';

function input(overrides: Partial<RoutingInput> = {}): RoutingInput {
  return {
    self: SELF,
    path: '/watch/s1',
    instanceParams: [],
    cookie: undefined,
    forceInstanceId: undefined,
    replaySrc: undefined,
    replayFailed: undefined,
    preferredUnavailable: undefined,
    replayCacheStatus: undefined,
    bodyBytes: 0,
    anyMachinePath: false,
    apiPath: false,
    cookieExempt: false,
    maxReplayBodyBytes: 1024 * 1024,
    replayTimeoutMs: 5000,
    ...overrides,
  };
}

type Expect = { action: Decision['action'] } & Record<string, unknown>;

const rows: Array<[string, Partial<RoutingInput>, Expect]> = [
  // 1. off Fly
  [
    'off Fly: serve, cookie untouched',
    { self: null, instanceParams: [OTHER], cookie: OTHER },
    { action: 'serve', reason: 'off-fly', cookie: undefined },
  ],
  // 2. any-Machine paths
  [
    'any-Machine path ignores instance',
    { anyMachinePath: true, instanceParams: [OTHER] },
    { action: 'serve', reason: 'any-machine' },
  ],
  [
    'any-Machine path ignores cookie',
    { anyMachinePath: true, cookie: OTHER },
    { action: 'serve', reason: 'any-machine' },
  ],
  // 3. force-instance
  [
    'force header for self beats other cookie',
    { forceInstanceId: SELF, cookie: OTHER },
    { action: 'serve', reason: 'forced' },
  ],
  [
    'force header for self beats other instance',
    { forceInstanceId: SELF, instanceParams: [OTHER] },
    { action: 'serve', reason: 'forced' },
  ],
  [
    'force header for another Machine is not ours to honour',
    { forceInstanceId: OTHER, cookie: OTHER },
    { action: 'replay', reason: 'cookie', target: OTHER },
  ],
  // 4. bad instance
  ['repeated instance', { instanceParams: [SELF, SELF] }, { action: 'reject', status: 400, reason: 'bad-instance' }],
  ['13 chars', { instanceParams: ['0123456789abc'] }, { action: 'reject', status: 400 }],
  ['15 chars', { instanceParams: ['0123456789abcde'] }, { action: 'reject', status: 400 }],
  ['uppercase hex', { instanceParams: ['0123456789ABCD'] }, { action: 'reject', status: 400 }],
  ['empty value', { instanceParams: [''] }, { action: 'reject', status: 400 }],
  ['CRLF injection', { instanceParams: [`${OTHER}\r\nset-cookie: x=1`] }, { action: 'reject', status: 400 }],
  ['retired 8-hex id', { instanceParams: ['0123abcd'] }, { action: 'reject', status: 400 }],
  // 5. instance = self
  [
    'instance is this Machine: serve and set cookie',
    { instanceParams: [SELF], cookie: OTHER },
    { action: 'serve', reason: 'instance-self', cookie: { set: SELF } },
  ],
  // 6. replay failed after explicit instance
  [
    'replay failed, API path: 404',
    { instanceParams: [OTHER], replayFailed: 'instance=x', apiPath: true },
    { action: 'reject', status: 404, reason: 'instance-gone', cookie: { set: SELF } },
  ],
  [
    'replay failed, page: serve here',
    { instanceParams: [OTHER], replayFailed: 'instance=x' },
    { action: 'serve', reason: 'replay-failed', cookie: { set: SELF }, loopFrom: OTHER },
  ],
  // 7. already replayed
  [
    'instance, came with fly-replay-src: no second replay',
    { instanceParams: [OTHER], replaySrc: 'instance=a;region=ams;t=1' },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF }, loopFrom: OTHER },
  ],
  [
    'instance, came with preferred-unavailable',
    { instanceParams: [OTHER], preferredUnavailable: OTHER },
    { action: 'serve', reason: 'already-replayed' },
  ],
  [
    'instance, replayed by the edge cache on a miss: no second replay',
    { instanceParams: [OTHER], replayCacheStatus: 'miss' },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF }, loopFrom: OTHER },
  ],
  [
    'instance, cache bypassed (still a replay): no second replay',
    { instanceParams: [OTHER], replayCacheStatus: 'bypass' },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF } },
  ],
  [
    'instance, straight from a cache hit: the link wins, replay',
    { instanceParams: [OTHER], cookie: SELF, replayCacheStatus: 'hit' },
    { action: 'replay', reason: 'instance', target: OTHER, invalidateCache: undefined },
  ],
  [
    'instance is this Machine, from a cache hit: serve and set cookie',
    { instanceParams: [SELF], cookie: OTHER, replayCacheStatus: 'hit' },
    { action: 'serve', reason: 'instance-self', cookie: { set: SELF } },
  ],
  // 8. body limits on instance replay
  [
    'instance, body at limit: 413',
    { instanceParams: [OTHER], bodyBytes: 1024 * 1024 },
    { action: 'reject', status: 413, reason: 'body-too-large' },
  ],
  [
    'instance, body one under limit: replay',
    { instanceParams: [OTHER], bodyBytes: 1024 * 1024 - 1 },
    { action: 'replay', reason: 'instance' },
  ],
  [
    'instance, body of unknown length: 413',
    { instanceParams: [OTHER], bodyBytes: 'unknown' },
    { action: 'reject', status: 413 },
  ],
  // 9. instance replay
  [
    'instance is another Machine',
    { instanceParams: [OTHER] },
    {
      action: 'replay',
      reason: 'instance',
      target: OTHER,
      header: `instance=${OTHER};timeout=5s;fallback=prefer_self`,
    },
  ],
  [
    'instance replay timeout in ms',
    { instanceParams: [OTHER], replayTimeoutMs: 800 },
    { action: 'replay', header: `instance=${OTHER};timeout=800ms;fallback=prefer_self` },
  ],
  ['instance beats cookie', { instanceParams: [OTHER], cookie: SELF }, { action: 'replay', target: OTHER }],
  // 10-12. cookie
  ['no instance, no cookie', {}, { action: 'serve', reason: 'no-preference', cookie: undefined }],
  [
    'malformed cookie: clear it',
    { cookie: 'garbage;' },
    { action: 'serve', reason: 'cookie-malformed', cookie: 'clear' },
  ],
  [
    'uppercase cookie is malformed',
    { cookie: '0123456789ABCD' },
    { action: 'serve', reason: 'cookie-malformed', cookie: 'clear' },
  ],
  ['cookie is this Machine', { cookie: SELF }, { action: 'serve', reason: 'cookie-self', cookie: undefined }],
  [
    'cookie is this Machine, from a cache hit: serve',
    { cookie: SELF, replayCacheStatus: 'hit' },
    { action: 'serve', reason: 'cookie-self', cookie: undefined },
  ],
  // 13. exempt
  [
    'cookie-exempt request stays here',
    { cookie: OTHER, cookieExempt: true },
    { action: 'serve', reason: 'cookie-exempt' },
  ],
  [
    'cookie-exempt request still follows instance',
    { cookie: OTHER, cookieExempt: true, instanceParams: [OTHER] },
    { action: 'replay', reason: 'instance' },
  ],
  // 14. loop guard on cookie
  [
    'cookie, fly-replay-src: serve, rewrite stale cookie',
    { cookie: OTHER, replaySrc: 'instance=a;region=ams;t=1' },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF }, loopFrom: OTHER },
  ],
  [
    'cookie, fly-replay-failed: serve, rewrite',
    { cookie: OTHER, replayFailed: 'instance=x;reason=timeout' },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF } },
  ],
  [
    'cookie, preferred-unavailable: serve, rewrite',
    { cookie: OTHER, preferredUnavailable: OTHER },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF } },
  ],
  [
    'cookie, replayed by the edge cache on a miss: serve, rewrite',
    { cookie: OTHER, replayCacheStatus: 'miss' },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF }, loopFrom: OTHER },
  ],
  [
    'cookie, cache bypassed: serve, rewrite',
    { cookie: OTHER, replayCacheStatus: 'bypass' },
    { action: 'serve', reason: 'already-replayed', cookie: { set: SELF } },
  ],
  // 15. directory says the Machine is gone
  [
    'cookie names a Machine the directory does not know',
    { cookie: OTHER, machineKnown: () => false },
    { action: 'serve', reason: 'cookie-unknown-machine', cookie: { set: SELF } },
  ],
  [
    'cache hit for a Machine the directory does not know: serve, rewrite',
    { cookie: OTHER, replayCacheStatus: 'hit', machineKnown: () => false },
    { action: 'serve', reason: 'cookie-unknown-machine', cookie: { set: SELF } },
  ],
  [
    'directory cannot tell: replay',
    { cookie: OTHER, machineKnown: () => undefined },
    { action: 'replay', reason: 'cookie' },
  ],
  // 16. body limits on cookie replay
  ['cookie, body too large: 413', { cookie: OTHER, bodyBytes: 2 * 1024 * 1024 }, { action: 'reject', status: 413 }],
  [
    'cache hit on the wrong Machine, body too large: 413',
    { cookie: OTHER, replayCacheStatus: 'hit', bodyBytes: 'unknown' },
    { action: 'reject', status: 413 },
  ],
  // 17. cookie replay
  [
    'cookie names another Machine',
    { cookie: OTHER },
    {
      action: 'replay',
      reason: 'cookie',
      target: OTHER,
      header: `prefer_instance=${OTHER}`,
      invalidateCache: undefined,
    },
  ],
  [
    'cache hit on the wrong Machine: replay to the cookie and invalidate the entry',
    { cookie: OTHER, replayCacheStatus: 'hit' },
    {
      action: 'replay',
      reason: 'cache-wrong-machine',
      target: OTHER,
      header: `prefer_instance=${OTHER}`,
      invalidateCache: true,
    },
  ],
  [
    'cache hit on the wrong Machine, directory cannot tell: replay and invalidate',
    { cookie: OTHER, replayCacheStatus: 'hit', machineKnown: () => undefined },
    { action: 'replay', reason: 'cache-wrong-machine', invalidateCache: true },
  ],
  [
    'an unknown cache status is ignored',
    { cookie: OTHER, replayCacheStatus: 'HIT ' },
    { action: 'replay', reason: 'cookie', invalidateCache: undefined },
  ],
  // 18. relays (watch pages and sockets only; `watch` absent for every other path)
  ...relayRows(),
];

function relayRows(): Array<[string, Partial<RoutingInput>, Expect]> {
  const HOME = OTHER;
  const AMS1 = 'a1a1a1a1a1a1a1';
  const AMS2 = 'a2a2a2a2a2a2a2';
  const FRA = 'f0f0f0f0f0f0f0';
  const base: WatchFacts = {
    mode: 'regional',
    selfRegion: 'ams',
    selfReady: true,
    selfConnections: 0,
    edgeRegion: 'ams',
    home: { machineId: HOME, region: 'dfw', viewers: 1 },
    machines: [
      { id: HOME, region: 'dfw', relay: 'ok', connections: 1 },
      { id: AMS1, region: 'ams', relay: 'ok', connections: 5 },
      { id: AMS2, region: 'ams', relay: 'ok', connections: 2 },
      { id: FRA, region: 'fra', relay: 'ok', connections: 0 },
    ],
    overflowViewers: 3,
  };
  const w = (patch: Partial<WatchFacts>): Partial<RoutingInput> => ({
    instanceParams: [HOME],
    watch: { ...base, ...patch },
  });
  // On the home itself: the link names this Machine.
  const atHome = (patch: Partial<WatchFacts>): Partial<RoutingInput> => ({
    instanceParams: [SELF],
    watch: { ...base, selfRegion: 'dfw', home: { machineId: SELF, region: 'dfw', viewers: 1 }, ...patch },
  });
  const relayTo = (target: string): Expect => ({
    action: 'replay',
    reason: 'relay',
    target,
    header: `instance=${target};timeout=5s;fallback=prefer_self`,
  });
  const homeMachines = base.machines.map((m) => (m.id === HOME ? { ...m, id: SELF } : m));
  return [
    [
      'regional: the edge picked a ready Machine in its region: it relays, no replay',
      w({}),
      { action: 'serve', reason: 'relay', cookie: undefined },
    ],
    [
      'regional: this Machine is full: the least-loaded one of the edge region relays',
      w({ selfConnections: 3, machines: [...base.machines] }),
      relayTo(AMS2),
    ],
    ['regional: NATS down here: another ams Machine relays', w({ selfReady: false }), relayTo(AMS2)],
    [
      'regional: nobody in the edge region can relay: the home serves',
      w({
        selfReady: false,
        machines: base.machines.map((m) => ({ ...m, relay: m.region === 'ams' ? 'down' : m.relay })),
      }),
      { action: 'replay', reason: 'instance', target: HOME },
    ],
    [
      'regional: relays without a reported load are not picked',
      w({ selfReady: false, machines: base.machines.map((m) => ({ ...m, connections: undefined })) }),
      { action: 'replay', reason: 'instance', target: HOME },
    ],
    [
      'regional: a viewer of the home region goes to the home',
      w({ edgeRegion: 'dfw' }),
      { action: 'replay', reason: 'instance', target: HOME },
    ],
    [
      'regional: no edge region (not behind the proxy): the home',
      w({ edgeRegion: undefined }),
      { action: 'replay', reason: 'instance', target: HOME },
    ],
    [
      'regional: the link names a Machine that is not the home: as before',
      { ...w({}), instanceParams: [FRA] },
      { action: 'replay', reason: 'instance', target: FRA },
    ],
    [
      'regional: the directory does not know the stream: as before',
      w({ home: undefined }),
      { action: 'replay', reason: 'instance', target: HOME },
    ],
    ['off: relays nothing', w({ mode: 'off' }), { action: 'replay', reason: 'instance', target: HOME }],
    [
      'overflow: a viewer arriving at another Machine goes to the home while it has room',
      w({ mode: 'overflow', home: { machineId: HOME, region: 'dfw', viewers: 2 } }),
      { action: 'replay', reason: 'instance', target: HOME },
    ],
    [
      'overflow: the home is full: the Machine the edge picked relays, no replay (the home could not replay it on)',
      w({ mode: 'overflow', home: { machineId: HOME, region: 'dfw', viewers: 3 } }),
      { action: 'serve', reason: 'relay', cookie: undefined },
    ],
    [
      'overflow: the home is full and this Machine too: the least-loaded relay of the edge region',
      w({ mode: 'overflow', selfConnections: 3, home: { machineId: HOME, region: 'dfw', viewers: 3 } }),
      relayTo(AMS2),
    ],
    [
      'overflow: the home is full, NATS down here, no relay with room: the home serves',
      w({
        mode: 'overflow',
        selfReady: false,
        home: { machineId: HOME, region: 'dfw', viewers: 3 },
        machines: base.machines.map((m) => ({ ...m, connections: 3 })),
      }),
      { action: 'replay', reason: 'instance', target: HOME },
    ],
    [
      'replayed here by the home: served as a relay, not as a loop',
      { ...w({ mode: 'overflow' }), replaySrc: `instance=${HOME};region=dfw;t=1` },
      { action: 'serve', reason: 'relay', loopFrom: undefined, cookie: undefined },
    ],
    [
      'replayed here but NATS is down here: served as a replayed request (the stream is not here)',
      { ...w({ mode: 'overflow', selfReady: false }), replaySrc: `instance=${HOME};region=dfw;t=1` },
      { action: 'serve', reason: 'already-replayed', loopFrom: HOME },
    ],
    [
      'off: a replayed watch request is not relayed',
      { ...w({ mode: 'off' }), replaySrc: `instance=${HOME};region=dfw;t=1` },
      { action: 'serve', reason: 'already-replayed' },
    ],
    [
      'overflow: the home under RELAY_OVERFLOW_VIEWERS serves',
      atHome({ mode: 'overflow', machines: homeMachines, home: { machineId: SELF, region: 'dfw', viewers: 2 } }),
      { action: 'serve', reason: 'instance-self' },
    ],
    [
      'overflow: the home at RELAY_OVERFLOW_VIEWERS replays to the least-loaded relay of the edge region',
      atHome({ mode: 'overflow', machines: homeMachines, home: { machineId: SELF, region: 'dfw', viewers: 3 } }),
      relayTo(AMS2),
    ],
    [
      'overflow: no room in the edge region: the nearest region with room',
      atHome({
        mode: 'overflow',
        machines: homeMachines.map((m) => (m.region === 'ams' ? { ...m, connections: 3 } : m)),
        home: { machineId: SELF, region: 'dfw', viewers: 3 },
      }),
      relayTo(FRA),
    ],
    [
      'overflow: no relay with room anywhere: the home serves',
      atHome({
        mode: 'overflow',
        machines: homeMachines.map((m) => ({ ...m, relay: 'off' as const })),
        home: { machineId: SELF, region: 'dfw', viewers: 3 },
      }),
      { action: 'serve', reason: 'instance-self' },
    ],
    [
      'overflow: a request already replayed to the home stays there',
      {
        ...atHome({ mode: 'overflow', machines: homeMachines, home: { machineId: SELF, region: 'dfw', viewers: 3 } }),
        replaySrc: 'instance=x',
      },
      { action: 'serve', reason: 'instance-self' },
    ],
    [
      'regional: the home sends a viewer from another region to a relay there',
      atHome({ machines: homeMachines }),
      relayTo(AMS2),
    ],
    [
      'regional: the home serves its own region',
      atHome({ machines: homeMachines, edgeRegion: 'dfw' }),
      { action: 'serve', reason: 'instance-self' },
    ],
    [
      'off: the home serves everyone',
      atHome({ mode: 'off', machines: homeMachines, home: { machineId: SELF, region: 'dfw', viewers: 99 } }),
      { action: 'serve', reason: 'instance-self' },
    ],
  ];
}

for (const [name, overrides, expected] of rows) {
  test(`decide: ${name}`, () => {
    const decision = decide(input(overrides)) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(decision[key], value, `${key} of ${JSON.stringify(decision)}`);
    }
  });
}

test('decide: 413 reason names fly-force-instance-id and the limit', () => {
  const decision = decide(input({ cookie: OTHER, bodyBytes: 'unknown' }));
  assert.equal(decision.action, 'reject');
  assert.match(decision.action === 'reject' ? decision.error : '', /fly-force-instance-id/);
});

test('decide: a 400 never echoes the raw value', () => {
  const evil = 'abc\r\nx-evil: 1';
  const decision = decide(input({ instanceParams: [evil] }));
  assert.equal(decision.action, 'reject');
  assert.ok(decision.action === 'reject' && !decision.error.includes('x-evil'));
});
