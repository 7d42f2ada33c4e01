import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MachineState, MachineView } from '../types.ts';
import { answerQuestion, characterStrings, DNS_TTL_S, type DnsView } from './answers.ts';

function machine(id: string, region: string, state: MachineState, n: number): MachineView {
  return {
    id,
    region,
    state,
    address: `127.0.0.${n}`,
    port: 8080,
    privateIp: `::ffff:127.0.0.${n}`,
    processGroup: 'app',
  };
}

const A = machine('d8913edc2d66e8', 'syd', 'started', 2);
const B = machine('d8d3370ae66948', 'ams', 'started', 3);
const C = machine('286533db064e58', 'dfw', 'stopped', 4);
// Its process runs but its app does not listen yet: in DNS already, as on Fly.
const D = machine('0123456789abcd', 'dfw', 'starting', 5);
const E = machine('eeeeeeeeeeeeee', 'dfw', 'stopping', 8);
const GONE = machine('ffffffffffffff', 'fra', 'destroyed', 6);

const view: DnsView = {
  apps: [
    { name: 'app-a', machines: [A, B, C, D, GONE, E] },
    { name: 'app-b', machines: [machine('aaaaaaaaaaaaaa', 'ams', 'started', 7)] },
  ],
  defaultRegion: 'ams',
};

type Row = [name: string, type: string, rcode: 'NOERROR' | 'NXDOMAIN', data: Array<string | string[]>];

test('TXT and AAAA answers in Fly formats, TTL 5', () => {
  const rows: Row[] = [
    ['vms.app-a.internal', 'TXT', 'NOERROR', [['d8913edc2d66e8 syd,d8d3370ae66948 ams,0123456789abcd dfw']]],
    [
      'all.vms.app-a.internal',
      'TXT',
      'NOERROR',
      [['d8913edc2d66e8 syd,d8d3370ae66948 ams,286533db064e58 dfw,0123456789abcd dfw,eeeeeeeeeeeeee dfw']],
    ],
    ['regions.app-a.internal', 'TXT', 'NOERROR', [['ams,dfw,syd']]],
    ['_apps.internal', 'TXT', 'NOERROR', [['app-a,app-b']]],
    [
      '_instances.internal',
      'TXT',
      'NOERROR',
      [
        [
          'instance=d8913edc2d66e8,app=app-a,ip=::ffff:127.0.0.2,region=syd;instance=d8d3370ae66948,app=app-a,ip=::ffff:127.0.0.3,region=ams;' +
            'instance=0123456789abcd,app=app-a,ip=::ffff:127.0.0.5,region=dfw;instance=aaaaaaaaaaaaaa,app=app-b,ip=::ffff:127.0.0.7,region=ams',
        ].flatMap((s) => characterStrings(s)),
      ],
    ],
    ['app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.2', '::ffff:127.0.0.3', '::ffff:127.0.0.5']],
    ['global.app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.2', '::ffff:127.0.0.3', '::ffff:127.0.0.5']],
    ['dfw.app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.5']],
    ['d8d3370ae66948.vm.app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.3']],
    ['app.process.app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.2', '::ffff:127.0.0.3', '::ffff:127.0.0.5']],
    // Nearest from the default region ams: ams, then dfw, then syd.
    ['top1.nearest.of.app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.3']],
    ['top2.nearest.of.app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.3', '::ffff:127.0.0.5']],
    ['top9.nearest.of.app-a.internal', 'AAAA', 'NOERROR', ['::ffff:127.0.0.3', '::ffff:127.0.0.5', '::ffff:127.0.0.2']],
    // Case and a trailing dot do not matter.
    ['VMS.App-A.Internal.', 'TXT', 'NOERROR', [['d8913edc2d66e8 syd,d8d3370ae66948 ams,0123456789abcd dfw']]],
    // A stopped (or stopping) Machine's own name exists but has no address meanwhile.
    ['286533db064e58.vm.app-a.internal', 'AAAA', 'NOERROR', []],
    ['eeeeeeeeeeeeee.vm.app-a.internal', 'AAAA', 'NOERROR', []],
    // The wrong type for an existing name: NOERROR, no data.
    ['vms.app-a.internal', 'AAAA', 'NOERROR', []],
    ['app-a.internal', 'TXT', 'NOERROR', []],
    ['app-a.internal', 'A', 'NOERROR', []],
    // Names that do not exist.
    ['vms.nope.internal', 'TXT', 'NXDOMAIN', []],
    ['ffffffffffffff.vm.app-a.internal', 'AAAA', 'NXDOMAIN', []],
    ['fra.app-a.internal', 'AAAA', 'NXDOMAIN', []],
    ['lhr.app-a.internal', 'AAAA', 'NXDOMAIN', []],
    ['top0.nearest.of.app-a.internal', 'AAAA', 'NXDOMAIN', []],
    ['worker.process.app-a.internal', 'AAAA', 'NXDOMAIN', []],
    ['example.com', 'AAAA', 'NXDOMAIN', []],
    ['internal', 'TXT', 'NXDOMAIN', []],
    ['x.vms.app-a.internal', 'TXT', 'NXDOMAIN', []],
  ];
  for (const [name, type, rcode, data] of rows) {
    const answer = answerQuestion({ name, type }, view);
    assert.equal(answer.rcode, rcode, `${type} ${name}`);
    assert.deepEqual(
      answer.answers.map((a) => a.data),
      data,
      `${type} ${name}`,
    );
    for (const a of answer.answers) {
      assert.equal(a.ttl, DNS_TTL_S);
      assert.equal(a.type, type);
      assert.equal(a.name, name.replace(/\.$/, ''));
    }
  }
});

test('nearest counts from the asking Machine region when known', () => {
  const fromDfw = answerQuestion({ name: 'top1.nearest.of.app-a.internal', type: 'AAAA' }, view, 'dfw');
  assert.deepEqual(
    fromDfw.answers.map((a) => a.data),
    ['::ffff:127.0.0.5'],
  );
  const fromSyd = answerQuestion({ name: 'top2.nearest.of.app-a.internal', type: 'AAAA' }, view, 'syd');
  assert.deepEqual(
    fromSyd.answers.map((a) => a.data),
    ['::ffff:127.0.0.2', '::ffff:127.0.0.5'],
  );
});

test('an empty list is one empty string, not a missing record', () => {
  const empty: DnsView = {
    apps: [{ name: 'idle', machines: [machine('286533db064e58', 'dfw', 'stopped', 4)] }],
    defaultRegion: 'dfw',
  };
  assert.deepEqual(
    answerQuestion({ name: 'vms.idle.internal', type: 'TXT' }, empty).answers.map((a) => a.data),
    [['']],
  );
  assert.deepEqual(
    answerQuestion({ name: 'regions.idle.internal', type: 'TXT' }, empty).answers.map((a) => a.data),
    [['']],
  );
  assert.deepEqual(answerQuestion({ name: 'idle.internal', type: 'AAAA' }, empty).answers, []);
});

test('characterStrings splits at 255 bytes', () => {
  const rows: Array<[number, number[]]> = [
    [0, [0]],
    [255, [255]],
    [256, [255, 1]],
    [600, [255, 255, 90]],
  ];
  for (const [length, parts] of rows) {
    const text = 'x'.repeat(length);
    const split = characterStrings(text);
    assert.deepEqual(
      split.map((s) => s.length),
      parts,
      `${length}`,
    );
    assert.equal(split.join(''), text);
  }
});
