import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockedAndCut } from './stall.ts';

const s = (atMs: number, pendingBytes: number | null) => ({ atMs, pendingBytes });

test('blockedAndCut: blocked since the last unbroken run of pending bytes before the cut', () => {
  const rows: Array<[Parameters<typeof blockedAndCut>[0], ReturnType<typeof blockedAndCut>]> = [
    [[], { blockedAtMs: null, cutAtMs: null }],
    [[s(0, 0), s(100, 5)], { blockedAtMs: null, cutAtMs: null }],
    [[s(0, 0), s(100, 5), s(200, 0), s(300, 7), s(400, 9), s(500, null)], { blockedAtMs: 300, cutAtMs: 500 }],
    [[s(0, 0), s(100, null)], { blockedAtMs: null, cutAtMs: 100 }],
    [[s(0, 3), s(100, null), s(200, 4)], { blockedAtMs: 0, cutAtMs: 100 }],
  ];
  for (const [samples, want] of rows) assert.deepEqual(blockedAndCut(samples), want);
});
