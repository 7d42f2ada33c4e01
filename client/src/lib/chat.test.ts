import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHAT_MAX_CHARS,
  CHAT_NAME_MAX_CHARS,
  type ChatMessage,
  PROTOCOL_VERSION,
  type PublisherHello,
} from '../../../shared/protocol.ts';
import { CHAT_KEPT_MESSAGES, chatErrorText, chatLine, chatUpdate, mergeChat, retryAfterSeconds } from './chat.ts';

const msg = (seq: number, text = `m${seq}`): ChatMessage => ({ seq, name: 'n', text, at: seq, role: 'viewer' });

test('mergeChat appends in seq order and ignores duplicates', () => {
  const a = mergeChat([], [msg(1), msg(2)], true);
  assert.deepEqual(
    a.map((m) => m.seq),
    [1, 2],
  );
  const b = mergeChat(a, [msg(2), msg(3)], false);
  assert.deepEqual(
    b.map((m) => m.seq),
    [1, 2, 3],
  );
  assert.equal(mergeChat(b, [msg(1)], false), b, 'nothing new: same array');
  // A hello after a reconnect to the same Machine overlaps what we have.
  assert.deepEqual(
    mergeChat(b, [msg(2), msg(3), msg(4)], true).map((m) => m.seq),
    [1, 2, 3, 4],
  );
});

test('mergeChat: a hello whose numbering restarted (stream moved) replaces the list', () => {
  const before = [msg(7), msg(8)];
  assert.deepEqual(
    mergeChat(before, [msg(1, 'new')], true).map((m) => m.text),
    ['new'],
  );
  assert.equal(mergeChat(before, [], true), before);
});

test('mergeChat keeps at most CHAT_KEPT_MESSAGES', () => {
  const many = Array.from({ length: CHAT_KEPT_MESSAGES + 10 }, (_, i) => msg(i + 1));
  const merged = mergeChat([], many, false);
  assert.equal(merged.length, CHAT_KEPT_MESSAGES);
  assert.equal(merged[0]!.seq, 11);
});

test('retryAfterSeconds: whole seconds, at least 1', () => {
  assert.equal(retryAfterSeconds(undefined), null);
  assert.equal(retryAfterSeconds(0), 1);
  assert.equal(retryAfterSeconds(1000), 1);
  assert.equal(retryAfterSeconds(1001), 2);
});

test('chatErrorText: rate limits and invalid chat reach the chat box, other errors do not', () => {
  assert.match(
    chatErrorText({ type: 'error', code: 'rate-limited', message: 'x', retryAfterMs: 2500 })!,
    /Slow down: chat allows 5 messages every 10 seconds\. Try again in 3 s\./,
  );
  assert.equal(
    chatErrorText({ type: 'error', code: 'chat-invalid', message: 'chat.text is too long' }),
    'chat.text is too long',
  );
  assert.equal(chatErrorText({ type: 'error', code: 'bad-message', message: 'viewers send no binary messages' }), null);
});

test('chatLine: trimmed text and name cut to the protocol limits; nothing to send for blank text', () => {
  const table: Array<[string, string | undefined, ReturnType<typeof chatLine>]> = [
    ['hi', undefined, { type: 'chat', text: 'hi' }],
    ['  hi  ', '', { type: 'chat', text: 'hi' }],
    ['hi', '  ann ', { type: 'chat', text: 'hi', name: 'ann' }],
    ['hi', '   ', { type: 'chat', text: 'hi' }],
    ['', 'ann', null],
    ['  \n ', undefined, null],
    ['x'.repeat(CHAT_MAX_CHARS + 5), undefined, { type: 'chat', text: 'x'.repeat(CHAT_MAX_CHARS) }],
    ['hi', 'n'.repeat(CHAT_NAME_MAX_CHARS + 1), { type: 'chat', text: 'hi', name: 'n'.repeat(CHAT_NAME_MAX_CHARS) }],
  ];
  for (const [text, name, expected] of table) assert.deepEqual(chatLine(text, name), expected, `${text}|${name}`);
});

test('chatUpdate: hello history and broadcasts merge, chat errors reach the box, the rest is not chat', () => {
  const have = [msg(1), msg(2)];
  const hello: PublisherHello = {
    type: 'hello',
    role: 'publisher',
    protocolVersion: PROTOCOL_VERSION,
    machineId: null,
    region: null,
    stream: { id: 's', title: 't', creator: 'c', startedAt: 1, machineId: null, region: null, epoch: 0 },
    viewers: 0,
    maxFrameBytes: 1000,
    maxAudioFrameBytes: 100,
    chat: [msg(2), msg(3)],
  };
  assert.deepEqual(
    chatUpdate(have, hello)?.chat?.map((m) => m.seq),
    [1, 2, 3],
  );
  assert.deepEqual(
    chatUpdate(have, { type: 'chat', ...msg(3) })?.chat?.map((m) => m.seq),
    [1, 2, 3],
  );
  assert.deepEqual(chatUpdate(have, { type: 'error', code: 'chat-invalid', message: 'too long' }), {
    chatError: 'too long',
  });
  assert.equal(chatUpdate(have, { type: 'error', code: 'bad-message', message: 'x' }), null);
  assert.equal(chatUpdate(have, { type: 'viewers', count: 3 }), null);
  assert.equal(chatUpdate(have, { type: 'keyframe-request' }), null);
  assert.equal(chatUpdate(have, { type: 'ended', reason: 'stopped' }), null);
});
