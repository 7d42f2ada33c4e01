import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVmsTxt } from './txt.ts';

const A = 'd8913edc2d66e8';
const B = 'd8d3370ae66948';
const C = '286533db064e58';

test('parseVmsTxt: Fly format, split strings, odd spacing, invalid entries', () => {
  const rows: { name: string; records: string[][]; vms: [string, string][]; invalid: string[] }[] = [
    {
      name: 'one record, Fly example',
      records: [[`${A} syd,${B} ams`]],
      vms: [
        [A, 'syd'],
        [B, 'ams'],
      ],
      invalid: [],
    },
    { name: 'single machine', records: [[`${C} dfw`]], vms: [[C, 'dfw']], invalid: [] },
    {
      name: 'split inside an id',
      records: [[`${A} syd,d8d33`, `70ae66948 ams`]],
      vms: [
        [A, 'syd'],
        [B, 'ams'],
      ],
      invalid: [],
    },
    {
      name: 'split at the comma',
      records: [[`${A} syd,`, `${B} ams`]],
      vms: [
        [A, 'syd'],
        [B, 'ams'],
      ],
      invalid: [],
    },
    {
      name: 'split inside a region',
      records: [[`${A} sy`, `d,${B} ams`]],
      vms: [
        [A, 'syd'],
        [B, 'ams'],
      ],
      invalid: [],
    },
    {
      name: 'three strings',
      records: [[`${A} syd,`, `${B} ams,${C}`, ` dfw`]],
      vms: [
        [A, 'syd'],
        [B, 'ams'],
        [C, 'dfw'],
      ],
      invalid: [],
    },
    {
      name: 'several records',
      records: [[`${A} syd`], [`${B} ams`]],
      vms: [
        [A, 'syd'],
        [B, 'ams'],
      ],
      invalid: [],
    },
    {
      name: 'spaces around entries',
      records: [[` ${A}  syd , ${B} ams `]],
      vms: [
        [A, 'syd'],
        [B, 'ams'],
      ],
      invalid: [],
    },
    { name: 'empty answer', records: [], vms: [], invalid: [] },
    { name: 'empty string', records: [['']], vms: [], invalid: [] },
    { name: 'trailing comma', records: [[`${A} syd,`]], vms: [[A, 'syd']], invalid: [] },
    { name: 'duplicate id keeps the first', records: [[`${A} syd,${A} ams`]], vms: [[A, 'syd']], invalid: [] },
    { name: 'retired 8-hex id', records: [[`d8913edc syd,${B} ams`]], vms: [[B, 'ams']], invalid: ['d8913edc syd'] },
    { name: 'upper-case id', records: [[`${A.toUpperCase()} syd`]], vms: [], invalid: [`${A.toUpperCase()} syd`] },
    { name: 'missing region', records: [[`${A},${B} ams`]], vms: [[B, 'ams']], invalid: [A] },
    { name: 'extra field', records: [[`${A} syd x`]], vms: [], invalid: [`${A} syd x`] },
    { name: 'bad region chars', records: [[`${A} S_D`]], vms: [], invalid: [`${A} S_D`] },
  ];
  for (const row of rows) {
    const result = parseVmsTxt(row.records);
    assert.deepEqual(
      result.vms.map((v) => [v.id, v.region]),
      row.vms,
      row.name,
    );
    assert.deepEqual(result.invalid, row.invalid, row.name);
  }
});
