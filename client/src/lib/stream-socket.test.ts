import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHAT_RATE_MAX_MESSAGES,
  type ChatMessage,
  encodeControl,
  PROTOCOL_VERSION,
  parseServerToViewer,
  type ServerToViewer,
  type ViewerHello,
  type ViewerToServer,
} from '../../../shared/protocol.ts';
import type { ChatView } from './chat.ts';
import { type NonChatMessage, StreamSocket, streamSocketUrl } from './stream-socket.ts';

test('streamSocketUrl: ws or wss by the page scheme, the id escaped, params as the query', () => {
  const http = { protocol: 'http:', host: '127.0.0.1:8080' };
  const https = { protocol: 'https:', host: 'app.example' };
  const table: Array<[typeof http, 'publish' | 'watch', string, Record<string, string>, string]> = [
    [http, 'watch', 'ID1', {}, 'ws://127.0.0.1:8080/ws/watch/ID1'],
    [https, 'watch', 'ID1', { instance: '0123456789abcd' }, 'wss://app.example/ws/watch/ID1?instance=0123456789abcd'],
    [
      https,
      'publish',
      'ID1',
      { instance: '0123456789abcd', token: 'a-b_c' },
      'wss://app.example/ws/publish/ID1?instance=0123456789abcd&token=a-b_c',
    ],
    [http, 'publish', 'a/b', { token: 'x+y=' }, 'ws://127.0.0.1:8080/ws/publish/a%2Fb?token=x%2By%3D'],
  ];
  for (const [page, kind, id, params, expected] of table) {
    assert.equal(streamSocketUrl(page, kind, id, params), expected);
  }
});

/** Stands in for the browser's WebSocket; the test drives its events. */
class FakeSocket {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: unknown[] = [];
  closedWith: [number, string] | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: unknown): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(data: unknown): void {
    this.onmessage?.({ data });
  }
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const heard = {
    messages: [] as NonChatMessage<ServerToViewer>[],
    chat: [] as Partial<ChatView>[],
    closes: [] as number[],
    opens: 0,
    frames: [] as ArrayBuffer[],
  };
  const socket = new StreamSocket<ServerToViewer, ViewerToServer>({
    kind: 'watch',
    parse: parseServerToViewer,
    message: (m) => heard.messages.push(m),
    chat: (patch) => heard.chat.push(patch),
    close: (code) => heard.closes.push(code),
    open: () => heard.opens++,
    frame: (data) => heard.frames.push(data),
    page: { protocol: 'http:', host: 'h' },
    createSocket: (url) => {
      const fake = new FakeSocket(url);
      sockets.push(fake);
      return fake as unknown as WebSocket;
    },
  });
  return { socket, sockets, heard };
}

const line = (seq: number): ChatMessage => ({ seq, name: 'n', text: `m${seq}`, at: seq, role: 'viewer' });
const hello: ViewerHello = {
  type: 'hello',
  role: 'viewer',
  protocolVersion: PROTOCOL_VERSION,
  machineId: null,
  region: null,
  stream: { id: 'ID1', title: 't', creator: 'c', startedAt: 1, machineId: null, region: null, epoch: 0 },
  config: null,
  audioConfig: null,
  viewers: 2,
  publisherConnected: true,
  chat: [line(1), line(2)],
};

test('StreamSocket: control messages go to the page, chat to the chat box, frames to frame, garbage nowhere', () => {
  const { socket, sockets, heard } = harness();
  socket.connect('ID1', { instance: '0123456789abcd' });
  const ws = sockets[0]!;
  assert.equal(ws.url, `ws://h/ws/watch/ID1?instance=0123456789abcd&protocol=${PROTOCOL_VERSION}`);
  assert.equal(ws.binaryType, 'arraybuffer');
  assert.equal(socket.isOpen, false);
  ws.open();
  assert.equal(socket.isOpen, true);
  assert.equal(heard.opens, 1);

  ws.receive(encodeControl(hello));
  ws.receive(encodeControl({ type: 'chat', ...line(3) }));
  ws.receive(encodeControl({ type: 'viewers', count: 5 }));
  ws.receive(encodeControl({ type: 'error', code: 'chat-invalid', message: 'too long' }));
  ws.receive(encodeControl({ type: 'error', code: 'bad-message', message: 'not chat' }));
  ws.receive('{"type":"viewers","count":-1}');
  ws.receive('not json');
  const frame = new ArrayBuffer(12);
  ws.receive(frame);

  assert.deepEqual(
    heard.messages.map((m) => m.type),
    ['hello', 'viewers'],
  );
  assert.deepEqual(
    heard.chat.map((p) => (p.chat ? p.chat.map((m) => m.seq) : p.chatError)),
    [[1, 2], [1, 2, 3], 'too long'],
  );
  assert.deepEqual(heard.frames, [frame]);
});

test('StreamSocket: a close reaches the page once; nothing from a replaced or closed socket does', () => {
  const { socket, sockets, heard } = harness();
  socket.connect('ID1', {});
  sockets[0]!.open();
  sockets[0]!.drop(1006);
  assert.deepEqual(heard.closes, [1006]);
  assert.equal(socket.isOpen, false);

  socket.connect('ID1', {});
  const first = sockets[1]!;
  socket.connect('ID1', {});
  const second = sockets[2]!;
  assert.deepEqual(first.closedWith, [1000, 'reconnecting'], 'the replaced socket is closed');
  first.open();
  first.receive(encodeControl({ type: 'viewers', count: 9 }));
  first.drop(1000);
  assert.equal(heard.opens, 1, 'only the first socket ever opened');
  assert.deepEqual(heard.messages, []);
  assert.deepEqual(heard.closes, [1006]);

  second.open();
  socket.close(1000, 'page closed');
  assert.deepEqual(second.closedWith, [1000, 'page closed']);
  second.drop(1000);
  assert.deepEqual(heard.closes, [1006], 'a close asked for here is not reported');
  assert.equal(socket.isOpen, false);
  socket.send({ type: 'keyframe-request' });
  assert.deepEqual(second.sent, []);
});

test('StreamSocket: send and sendFrame only while open', () => {
  const { socket, sockets } = harness();
  socket.send({ type: 'keyframe-request' });
  socket.connect('ID1', {});
  const ws = sockets[0]!;
  socket.send({ type: 'ack', timestampUs: 1 });
  socket.sendFrame(new Uint8Array(11));
  assert.deepEqual(ws.sent, []);
  ws.open();
  ws.bufferedAmount = 77;
  assert.equal(socket.bufferedAmount, 77);
  socket.send({ type: 'ack', timestampUs: 1 });
  const bytes = new Uint8Array(11);
  socket.sendFrame(bytes);
  assert.deepEqual(ws.sent, ['{"type":"ack","timestampUs":1}', bytes]);
});

test('StreamSocket.sendChat: nothing without an open socket or text; over the rate limit the box says why', () => {
  const { socket, sockets, heard } = harness();
  assert.equal(socket.sendChat('hi', 'ann'), false, 'no socket');
  socket.connect('ID1', {});
  const ws = sockets[0]!;
  assert.equal(socket.sendChat('hi', 'ann'), false, 'not open yet');
  ws.open();
  assert.equal(socket.sendChat('   ', 'ann'), false, 'blank');
  assert.deepEqual(heard.chat, []);
  for (let i = 0; i < CHAT_RATE_MAX_MESSAGES; i++)
    assert.equal(socket.sendChat(` hi ${i} `, ' ann '), true, `line ${i}`);
  assert.deepEqual(ws.sent[0], '{"type":"chat","text":"hi 0","name":"ann"}');
  assert.equal(ws.sent.length, CHAT_RATE_MAX_MESSAGES);
  const lastPatch = (): Partial<ChatView> | undefined => heard.chat[heard.chat.length - 1];
  assert.deepEqual(lastPatch(), { chatError: null });
  assert.equal(socket.sendChat('one too many', ''), false);
  assert.equal(ws.sent.length, CHAT_RATE_MAX_MESSAGES);
  assert.match(
    String(lastPatch()?.chatError),
    /^Slow down: chat allows 5 messages every 10 seconds\. Try again in \d+ s\.$/,
  );
});
