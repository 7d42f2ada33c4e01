import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MachineState } from '../types.ts';
import type { ReplayDirective } from './replay-header.ts';
import { type Candidate, pickNearest, type RoutingHeaders, routeReplay, routeRequest } from './select.ts';

const c = (id: string, region: string, state: MachineState = 'started', load = 0): Candidate => ({
  id,
  region,
  state,
  load,
});
const first = () => 0;
const last = () => 0.999;

test('pickNearest: nearest region first, least loaded, random among ties, stopped only when nothing runs', () => {
  const rows: Array<
    [string, Candidate[], string, Parameters<typeof pickNearest>[2], { id: string; start: boolean } | null]
  > = [
    ['same region wins', [c('d1', 'dfw'), c('a1', 'ams')], 'ams', {}, { id: 'a1', start: false }],
    ['nearest other region', [c('s1', 'syd'), c('d1', 'dfw')], 'ams', {}, { id: 'd1', start: false }],
    [
      'least loaded in region',
      [c('a1', 'ams', 'started', 3), c('a2', 'ams', 'started', 1), c('d1', 'dfw')],
      'ams',
      {},
      { id: 'a2', start: false },
    ],
    [
      'load does not beat distance',
      [c('a1', 'ams', 'started', 50), c('f1', 'fra')],
      'ams',
      {},
      { id: 'a1', start: false },
    ],
    ['tie: random picks first', [c('a1', 'ams'), c('a2', 'ams')], 'ams', { random: first }, { id: 'a1', start: false }],
    ['tie: random picks last', [c('a1', 'ams'), c('a2', 'ams')], 'ams', { random: last }, { id: 'a2', start: false }],
    [
      'stopped in region loses to started elsewhere',
      [c('a1', 'ams', 'stopped'), c('d1', 'dfw')],
      'ams',
      {},
      { id: 'd1', start: false },
    ],
    [
      'nothing started: nearest stopped is auto started',
      [c('d1', 'dfw', 'stopped'), c('a1', 'ams', 'stopped')],
      'ams',
      {},
      { id: 'a1', start: true },
    ],
    [
      'a starting Machine is joined before another is started',
      [c('a1', 'ams', 'stopped'), c('d1', 'dfw', 'starting')],
      'ams',
      {},
      { id: 'd1', start: true },
    ],
    [
      'stopping and destroyed are never chosen',
      [c('a1', 'ams', 'stopping'), c('a2', 'ams', 'destroyed')],
      'ams',
      {},
      null,
    ],
    ['regions restrict', [c('a1', 'ams'), c('d1', 'dfw')], 'ams', { regions: ['dfw'] }, { id: 'd1', start: false }],
    ['region any', [c('a1', 'ams'), c('d1', 'dfw')], 'dfw', { regions: ['any'] }, { id: 'd1', start: false }],
    ['exclude', [c('a1', 'ams'), c('d1', 'dfw')], 'ams', { exclude: new Set(['a1']) }, { id: 'd1', start: false }],
    ['nothing left', [c('a1', 'ams')], 'ams', { exclude: new Set(['a1']) }, null],
    ['empty', [], 'ams', {}, null],
  ];
  for (const [name, candidates, from, options, expected] of rows) {
    assert.deepEqual(pickNearest(candidates, from, options), expected, name);
  }
});

const fleet = [c('a1', 'ams'), c('d1', 'dfw'), c('d2', 'dfw', 'stopped'), c('x1', 'syd', 'stopping')];

test('routeRequest: request headers, first match wins', () => {
  const rows: Array<[string, RoutingHeaders, Set<string>, unknown]> = [
    ['no headers: edge region', {}, new Set(), { ok: true, choice: { id: 'a1', start: false } }],
    [
      'force instance',
      { forceInstance: 'd1', preferInstance: 'a1' },
      new Set(),
      { ok: true, choice: { id: 'd1', start: false } },
    ],
    [
      'force a stopped instance: auto start',
      { forceInstance: 'd2' },
      new Set(),
      { ok: true, choice: { id: 'd2', start: true } },
    ],
    ['force unknown: PR02', { forceInstance: 'zz' }, new Set(), { ok: false, code: 'PR02' }],
    ['force a stopping instance: PR02', { forceInstance: 'x1' }, new Set(), { ok: false, code: 'PR02' }],
    ['force an unreachable instance: PR02', { forceInstance: 'd1' }, new Set(['d1']), { ok: false, code: 'PR02' }],
    ['prefer instance', { preferInstance: 'd1' }, new Set(), { ok: true, choice: { id: 'd1', start: false } }],
    [
      'prefer a stopped instance: auto start',
      { preferInstance: 'd2' },
      new Set(),
      { ok: true, choice: { id: 'd2', start: true } },
    ],
    [
      'prefer unknown: nearest, flagged',
      { preferInstance: 'zz' },
      new Set(),
      { ok: true, choice: { id: 'a1', start: false, preferredUnavailable: 'zz' } },
    ],
    [
      'prefer unusable then prefer region',
      { preferInstance: 'd2', preferRegion: 'dfw' },
      new Set(['d2']),
      { ok: true, choice: { id: 'd1', start: false, preferredUnavailable: 'd2' } },
    ],
    ['force region', { forceRegion: 'dfw' }, new Set(), { ok: true, choice: { id: 'd1', start: false } }],
    [
      'force region list, nearest of them',
      { forceRegion: 'syd, DFW' },
      new Set(),
      { ok: true, choice: { id: 'd1', start: false } },
    ],
    ['force region with none: PR01', { forceRegion: 'syd' }, new Set(), { ok: false, code: 'PR01' }],
    ['prefer region', { preferRegion: 'dfw' }, new Set(), { ok: true, choice: { id: 'd1', start: false } }],
    [
      'prefer region with none: nearest',
      { preferRegion: 'syd' },
      new Set(),
      { ok: true, choice: { id: 'a1', start: false } },
    ],
    ['unreachable excluded', {}, new Set(['a1']), { ok: true, choice: { id: 'd1', start: false } }],
    ['everything unreachable: PR01', {}, new Set(['a1', 'd1', 'd2']), { ok: false, code: 'PR01' }],
  ];
  for (const [name, headers, unavailable, expected] of rows) {
    const route = routeRequest(fleet, 'ams', headers, unavailable, first);
    if (route.ok) assert.deepEqual(route, expected, name);
    else assert.deepEqual({ ok: route.ok, code: route.code }, expected, name);
  }
});

test('routeReplay: instance, prefer_instance, region, elsewhere, app', () => {
  const d = (fields: Partial<ReplayDirective>): ReplayDirective => ({ elsewhere: false, ...fields });
  const rows: Array<[string, ReplayDirective, string, unknown]> = [
    ['instance', d({ instance: 'd1' }), 'a1', { ok: true, choice: { id: 'd1', start: false } }],
    ['instance stopped: auto start', d({ instance: 'd2' }), 'a1', { ok: true, choice: { id: 'd2', start: true } }],
    ['instance unknown', d({ instance: 'zz' }), 'a1', { ok: false, code: 'no_candidate' }],
    ['instance stopping', d({ instance: 'x1' }), 'a1', { ok: false, code: 'no_candidate' }],
    ['instance to itself is allowed', d({ instance: 'a1' }), 'a1', { ok: true, choice: { id: 'a1', start: false } }],
    ['prefer_instance', d({ preferInstance: 'd1' }), 'a1', { ok: true, choice: { id: 'd1', start: false } }],
    [
      'prefer_instance unknown: nearest, flagged',
      d({ preferInstance: 'zz' }),
      'd1',
      { ok: true, choice: { id: 'a1', start: false, preferredUnavailable: 'zz' } },
    ],
    [
      'prefer_instance unknown, elsewhere',
      d({ preferInstance: 'zz', elsewhere: true }),
      'a1',
      { ok: true, choice: { id: 'd1', start: false, preferredUnavailable: 'zz' } },
    ],
    ['region', d({ regions: ['dfw'] }), 'a1', { ok: true, choice: { id: 'd1', start: false } }],
    [
      'region with only the source, elsewhere',
      d({ regions: ['ams'], elsewhere: true }),
      'a1',
      { ok: false, code: 'no_candidate' },
    ],
    ['region with nothing', d({ regions: ['syd'] }), 'a1', { ok: false, code: 'no_candidate' }],
    ['elsewhere alone: nearest other', d({ elsewhere: true }), 'a1', { ok: true, choice: { id: 'd1', start: false } }],
    ['nothing named: nearest, may be the source', d({}), 'a1', { ok: true, choice: { id: 'a1', start: false } }],
    ['same app is fine', d({ app: 'demo', regions: ['dfw'] }), 'a1', { ok: true, choice: { id: 'd1', start: false } }],
    ['another app: PA04', d({ app: 'other', instance: 'd1' }), 'a1', { ok: false, code: 'PA04' }],
  ];
  for (const [name, directive, source, expected] of rows) {
    const route = routeReplay(fleet, 'ams', directive, source, 'demo', new Set(), first);
    if (route.ok) assert.deepEqual(route, expected, name);
    else assert.deepEqual({ ok: route.ok, code: route.code }, expected, name);
  }
  assert.deepEqual(
    routeReplay(fleet, 'ams', d({ instance: 'd1' }), 'a1', 'demo', new Set(['d1'])).ok,
    false,
    'unreachable instance',
  );
});
