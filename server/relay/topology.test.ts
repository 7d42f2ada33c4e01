import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTopology, EMPTY_TOPOLOGY, overdueRegions, planChange, type Topology } from './topology.ts';

test('topology: routes to the own region without self, one gateway per other region, sorted', () => {
  const rows: Array<[string, Parameters<typeof buildTopology>, Topology]> = [
    ['alone', ['ams', '127.0.0.2', [{ region: 'ams', addresses: ['::ffff:127.0.0.2'] }]], EMPTY_TOPOLOGY],
    [
      'localfly ams:1,dfw:2 seen from ams (mapped addresses become IPv4 literals)',
      [
        'ams',
        '127.0.0.2',
        [
          { region: 'dfw', addresses: ['::ffff:127.0.0.4', '::ffff:127.0.0.3'] },
          { region: 'ams', addresses: ['::ffff:127.0.0.2'] },
        ],
      ],
      { routes: [], gateways: [{ region: 'dfw', addresses: ['127.0.0.3', '127.0.0.4'] }] },
    ],
    [
      'seen from a dfw Machine',
      [
        'dfw',
        '127.0.0.3',
        [
          { region: 'ams', addresses: ['::ffff:127.0.0.2'] },
          { region: 'dfw', addresses: ['::ffff:127.0.0.3', '::ffff:127.0.0.4', '::ffff:127.0.0.4'] },
        ],
      ],
      { routes: ['127.0.0.4'], gateways: [{ region: 'ams', addresses: ['127.0.0.2'] }] },
    ],
    [
      'Fly 6PN addresses, a region with no Machine left is no gateway',
      [
        'syd',
        'fdaa:0:1::2',
        [
          { region: 'syd', addresses: ['fdaa:0:1::2', 'FDAA:0:1::3'] },
          { region: 'ord', addresses: [] },
          { region: 'ams', addresses: ['fdaa:0:1::9'] },
        ],
      ],
      { routes: ['fdaa:0:1::3'], gateways: [{ region: 'ams', addresses: ['fdaa:0:1::9'] }] },
    ],
  ];
  for (const [name, args, expected] of rows) assert.deepEqual(buildTopology(...args), expected, name);
});

const ams = { region: 'ams', addresses: ['10.0.0.1'] };
const dfw = { region: 'dfw', addresses: ['10.0.0.2', '10.0.0.3'] };

test('plan: routes reload, gateways stay as started, a gone region or an unreached one restarts', () => {
  const running: Topology = { routes: ['10.0.1.1'], gateways: [ams, dfw] };
  const rows: Array<[string, Topology, string[], ReturnType<typeof planChange>]> = [
    ['nothing changed', running, [], { action: 'none' }],
    [
      'a Machine joined the own region',
      { routes: ['10.0.1.1', '10.0.1.2'], gateways: [ams, dfw] },
      [],
      { action: 'reload', write: { routes: ['10.0.1.1', '10.0.1.2'], gateways: [ams, dfw] } },
    ],
    [
      'a route left, and a dfw Machine changed: reload keeps the running gateways (gossip covers dfw)',
      { routes: [], gateways: [ams, { region: 'dfw', addresses: ['10.0.0.9'] }] },
      [],
      { action: 'reload', write: { routes: [], gateways: [ams, dfw] } },
    ],
    [
      'only a remote Machine changed: nothing to do',
      { routes: ['10.0.1.1'], gateways: [ams, { region: 'dfw', addresses: ['10.0.0.2'] }] },
      [],
      { action: 'none' },
    ],
    [
      'a new region appeared: it dials us, no restart',
      { routes: ['10.0.1.1'], gateways: [ams, dfw, { region: 'syd', addresses: ['10.0.2.1'] }] },
      [],
      { action: 'none' },
    ],
    [
      'the new region is still unconnected after the grace period: restart with it',
      { routes: ['10.0.1.1'], gateways: [ams, dfw, { region: 'syd', addresses: ['10.0.2.1'] }] },
      ['syd'],
      {
        action: 'restart',
        write: { routes: ['10.0.1.1'], gateways: [ams, dfw, { region: 'syd', addresses: ['10.0.2.1'] }] },
        reason: 'no gateway to syd',
      },
    ],
    ['an overdue region already configured is left to nats-server', running, ['dfw'], { action: 'none' }],
    [
      'a configured region is gone',
      { routes: ['10.0.1.1'], gateways: [ams] },
      [],
      { action: 'restart', write: { routes: ['10.0.1.1'], gateways: [ams] }, reason: 'region gone: dfw' },
    ],
  ];
  for (const [name, desired, overdue, expected] of rows)
    assert.deepEqual(planChange(running, desired, overdue), expected, name);
});

test('overdue regions: wanted, unconnected, for at least the grace period', () => {
  const since = new Map<string, number>();
  assert.deepEqual(overdueRegions(since, ['ams', 'dfw'], new Set(['ams']), 1000, 500), []);
  assert.deepEqual([...since], [['dfw', 1000]]);
  assert.deepEqual(overdueRegions(since, ['ams', 'dfw'], new Set(['ams']), 1499, 500), []);
  assert.deepEqual(overdueRegions(since, ['ams', 'dfw'], new Set(['ams']), 1500, 500), ['dfw']);
  // Connected at last: forgotten, and the clock starts again if it drops later.
  assert.deepEqual(overdueRegions(since, ['ams', 'dfw'], new Set(['ams', 'dfw']), 1600, 500), []);
  assert.equal(since.size, 0);
  assert.deepEqual(overdueRegions(since, ['ams', 'dfw'], new Set(), 2000, 500), []);
  // No longer wanted: forgotten too.
  assert.deepEqual(overdueRegions(since, ['ams'], new Set(), 3000, 500), ['ams']);
  assert.deepEqual([...since.keys()], ['ams']);
});
