import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupTests, MAX_FILES_PER_GROUP } from './groups.ts';

const names = (n: number, folder: string): string[] =>
  Array.from({ length: n }, (_, i) => `${folder}/t${String(i).padStart(2, '0')}.test.ts`);

test('groupTests: one group per folder, split into even shares of at most MAX_FILES_PER_GROUP', () => {
  const table: Array<[number, number[]]> = [
    [1, [1]],
    [MAX_FILES_PER_GROUP, [MAX_FILES_PER_GROUP]],
    [MAX_FILES_PER_GROUP + 1, [5, 4]],
    [25, [7, 7, 7, 4]],
  ];
  for (const [count, sizes] of table) {
    const groups = groupTests(names(count, 'server/x'));
    assert.deepEqual(
      groups.map((g) => g.files.length),
      sizes,
      `${count} files`,
    );
    assert.deepEqual(groups.flatMap((g) => g.files).sort(), names(count, 'server/x'), 'every file once');
  }
});

test('groupTests: folders never share a group, names say the folder, larger groups first', () => {
  const groups = groupTests(['a.test.ts', ...names(2, 'shared'), ...names(3, 'server/streams')]);
  assert.deepEqual(
    groups.map((g) => [g.name, g.files.length]),
    [
      ['server/streams/unit-1', 3],
      ['shared/unit-1', 2],
      ['./unit-1', 1],
    ],
  );
  assert.deepEqual(groupTests(names(3, 'f'), 2)[1].files, ['f/t02.test.ts']);
});
