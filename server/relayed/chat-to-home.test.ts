import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatToHome, RELAY_HELD_CHAT_MAX } from './chat-to-home.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A NATS link the test opens and closes: what it was handed, in order. */
function link() {
  const sent: string[] = [];
  let open = true;
  return {
    sent,
    setOpen: (v: boolean) => {
      open = v;
    },
    send: (b: Uint8Array) => {
      if (!open) return false;
      sent.push(text(b));
      return true;
    },
  };
}

test('chat waits for the first join answer, then goes in order; after it, straight out', () => {
  const l = link();
  const chat = new ChatToHome(l.send);
  assert.equal(chat.offer(bytes('a')), true);
  assert.equal(chat.offer(bytes('b')), true);
  assert.deepEqual(l.sent, [], 'no join answer yet: held');
  chat.up();
  assert.deepEqual(l.sent, ['a', 'b']);
  assert.equal(chat.offer(bytes('c')), true);
  assert.deepEqual(l.sent, ['a', 'b', 'c']);
  assert.equal(chat.heldCount, 0);
});

test('NATS away: held until the rejoin answer, never sent into the gap', () => {
  const l = link();
  const chat = new ChatToHome(l.send);
  chat.up();
  chat.down();
  chat.offer(bytes('during the cut'));
  assert.deepEqual(l.sent, []);
  chat.up();
  assert.deepEqual(l.sent, ['during the cut']);
});

test(`at most RELAY_HELD_CHAT_MAX (${RELAY_HELD_CHAT_MAX}) held: the next is refused, the held ones are kept`, () => {
  const l = link();
  const chat = new ChatToHome(l.send);
  for (let i = 0; i < RELAY_HELD_CHAT_MAX; i++) assert.equal(chat.offer(bytes(`m${i}`)), true, `message ${i} held`);
  assert.equal(chat.offer(bytes('one too many')), false);
  assert.equal(chat.heldCount, RELAY_HELD_CHAT_MAX);
  chat.up();
  assert.equal(l.sent.length, RELAY_HELD_CHAT_MAX);
  assert.equal(l.sent[0], 'm0');
  assert.equal(new ChatToHome(l.send, 1).offer(bytes('x')), true, 'the limit is an option');
  assert.equal(new ChatToHome(l.send, 0).offer(bytes('x')), false, '0: nothing is held, so chat is refused');
});

test('a closed connection: the message is held, not lost, and the rest stays in order', () => {
  const l = link();
  const chat = new ChatToHome(l.send);
  chat.up();
  l.setOpen(false);
  assert.equal(chat.offer(bytes('a')), true);
  assert.equal(chat.offer(bytes('b')), true);
  chat.up();
  assert.deepEqual(l.sent, [], 'still closed: nothing dropped');
  assert.equal(chat.heldCount, 2);
  l.setOpen(true);
  chat.up();
  assert.deepEqual(l.sent, ['a', 'b']);
});
