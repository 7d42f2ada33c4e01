import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestEvent } from 'node:test/reporters';
import { orderGroups, parseTimings } from './timings.ts';
import timingsReporter from './timings-reporter.ts';

test('parseTimings: a number per file, anything else read as no timings', () => {
  const table: Array<[string | null, Record<string, number>]> = [
    [null, {}],
    ['', {}],
    ['{"a.test.ts": 1', {}],
    ['[1, 2]', {}],
    ['null', {}],
    ['{"a.test.ts": 120, "b.test.ts": "slow"}', { 'a.test.ts': 120 }],
  ];
  for (const [text, timings] of table) assert.deepEqual(parseTimings(text), timings, String(text));
});

test('orderGroups: untimed groups first, then the longest by last time, then by file count and name', () => {
  const group = (name: string, files: string[]) => ({ name, files });
  const groups = [
    group('a', ['a1', 'a2']),
    group('b', ['b1']),
    group('c', ['c1', 'c2', 'c3']),
    group('d', ['d1']),
    group('e', ['e1']),
  ];
  const timings = { a1: 100, a2: 300, b1: 1000, c1: 10, c2: 10, c3: 10, e1: 100 };
  assert.deepEqual(
    orderGroups(groups, timings).map((g) => g.name),
    ['d', 'b', 'a', 'e', 'c'],
  );
  assert.deepEqual(
    orderGroups(groups, {}).map((g) => g.name),
    ['c', 'a', 'b', 'd', 'e'],
    'no timings: by file count, then name',
  );
});

test("the timings reporter sums each file's top-level test durations, by path from the working directory", async () => {
  const result = (file: string | undefined, nesting: number, ms: number, type = 'test:pass') =>
    ({ type, data: { file, nesting, name: 'x', details: { duration_ms: ms } } }) as unknown as TestEvent;
  async function* events(): AsyncGenerator<TestEvent> {
    yield result(join(process.cwd(), 'server/a.test.ts'), 0, 100.4);
    yield result(join(process.cwd(), 'server/a.test.ts'), 1, 50, 'test:fail');
    yield result(join(process.cwd(), 'server/a.test.ts'), 0, 20.4, 'test:fail');
    yield result(join(process.cwd(), 'shared/b.test.ts'), 0, 7);
    yield result(undefined, 0, 9);
    yield { type: 'test:diagnostic', data: { nesting: 0, message: 'tests 3' } } as unknown as TestEvent;
  }
  let text = '';
  for await (const chunk of timingsReporter(events())) text += chunk;
  assert.deepEqual(JSON.parse(text), { 'server/a.test.ts': 121, 'shared/b.test.ts': 7 });
});
