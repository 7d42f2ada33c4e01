import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFigures } from './monitor.ts';
import { formatShape, observedShape, ShapeLog } from './shape.ts';

const varz = {
  server_name: 'aaaaaaaaaaaaaa',
  connections: 2,
  routes: 1,
  in_msgs: 7,
  out_msgs: 6,
  in_bytes: 5109,
  out_bytes: 3397,
  slow_consumers: 1,
};
const routez = { num_routes: 1, routes: [{ rid: 4, ip: '127.0.77.3' }] };
const conn = (out: number) => ({ configured: true, connection: { out_msgs: out, ip: '127.0.77.3' } });
const gatewayz = {
  name: 'ams',
  outbound_gateways: { dfw: conn(5), syd: conn(0) },
  inbound_gateways: { dfw: [{ configured: false }, { configured: false }], syd: [{}], nyc: [] },
};

test('figures from /varz, /routez and /gatewayz', () => {
  assert.deepEqual(parseFigures(varz, routez, gatewayz), {
    connections: 2,
    inMsgs: 7,
    outMsgs: 6,
    inBytes: 5109,
    outBytes: 3397,
    slowConsumers: 1,
    routes: 1,
    gatewaysOut: ['dfw', 'syd'],
    gatewaysIn: { dfw: 2, syd: 1 },
    gatewayOutMsgs: { dfw: 5, syd: 0 },
  });
});

test('odd or missing fields count as zero, never throw', () => {
  const empty = parseFigures(null, 'x', { outbound_gateways: { dfw: { configured: true } }, inbound_gateways: [] });
  assert.deepEqual(empty, {
    connections: 0,
    inMsgs: 0,
    outMsgs: 0,
    inBytes: 0,
    outBytes: 0,
    slowConsumers: 0,
    routes: 0,
    gatewaysOut: [],
    gatewaysIn: {},
    gatewayOutMsgs: {},
  });
  assert.equal(parseFigures({ connections: -1, in_msgs: 'many' }, {}, {}).connections, 0);
});

test('shape: own region is itself plus its routes; other regions count their inbound gateways', () => {
  const rows: Array<[string, string, Parameters<typeof parseFigures>, string]> = [
    [
      'ams seeing two dfw servers',
      'ams',
      [{}, { num_routes: 0 }, { inbound_gateways: { dfw: [{}, {}] } }],
      'ams(1) <-> dfw(2), 3 servers',
    ],
    [
      'a dfw server: one route, ams dials it',
      'dfw',
      [{}, { num_routes: 1 }, { outbound_gateways: { ams: conn(1) }, inbound_gateways: { ams: [{}] } }],
      'ams(1) <-> dfw(2), 3 servers',
    ],
    ['alone', 'ams', [{}, {}, {}], 'ams(1), 1 server'],
    [
      'outbound only (the far side has not dialled back yet)',
      'ams',
      [{}, {}, { outbound_gateways: { syd: conn(0) } }],
      'ams(1) <-> syd(1), 2 servers',
    ],
  ];
  for (const [name, region, args, expected] of rows) {
    assert.equal(formatShape(observedShape(region, parseFigures(...args))), expected, name);
  }
});

test('shape log: a shape is logged once it has held for the settle time, and only when it changed', () => {
  const log = new ShapeLog(1000);
  const rows: Array<[string, number, string | null]> = [
    ['ams(1), 1 server', 0, null],
    ['ams(1) <-> dfw(1), 2 servers', 200, null],
    ['ams(1) <-> dfw(2), 3 servers', 400, null],
    ['ams(1) <-> dfw(2), 3 servers', 1399, null],
    ['ams(1) <-> dfw(2), 3 servers', 1400, 'ams(1) <-> dfw(2), 3 servers'],
    ['ams(1) <-> dfw(2), 3 servers', 5000, null],
    ['ams(1) <-> dfw(1), 2 servers', 6000, null],
    ['ams(1) <-> dfw(2), 3 servers', 6500, null],
    ['ams(1) <-> dfw(2), 3 servers', 9000, null],
  ];
  for (const [shape, at, expected] of rows) assert.equal(log.update(shape, at), expected, `${shape} at ${at}`);
  assert.equal(log.last, 'ams(1) <-> dfw(2), 3 servers');
});
