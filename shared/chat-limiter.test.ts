import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatLimiter } from './chat-limiter.ts';

test('chat limiter: 5 per window, refusals do not count, retryAfter is exact', () => {
  const limiter = new ChatLimiter(5, 10_000);
  for (let i = 0; i < 5; i++) assert.deepEqual(limiter.tryTake(1000 + i * 100), { ok: true });
  assert.deepEqual(limiter.tryTake(2000), { ok: false, retryAfterMs: 9000 });
  assert.deepEqual(limiter.tryTake(10_999), { ok: false, retryAfterMs: 1 });
  assert.deepEqual(limiter.tryTake(11_000), { ok: true }, 'the first one left the window');
  assert.deepEqual(limiter.tryTake(11_050), { ok: false, retryAfterMs: 50 });
});
