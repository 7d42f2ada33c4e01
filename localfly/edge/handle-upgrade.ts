import http from 'node:http';
import type { Duplex } from 'node:stream';
import { type EdgeEnv, reportProxyError, requestContext, routeBase } from './edge-env.ts';
import { clientResponseHeaders } from './fly-headers.ts';
import { PROXY_ERROR_STATUS, type ProxyError, proxyErrorBody } from './proxy-error.ts';
import { routeWithReplays } from './route-loop.ts';
import {
  deliverUpgrade,
  type HandshakeOutcome,
  MAX_HANDSHAKE_RESPONSE_BYTES,
  pipeSockets,
  rawHead,
} from './upgrade.ts';

function writeProxyError(socket: Duplex, error: ProxyError, requestId: string): void {
  const text = proxyErrorBody(error, requestId);
  const status = PROXY_ERROR_STATUS[error.code];
  socket.end(
    rawHead(status, http.STATUS_CODES[status] ?? 'Error', {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'fly-request-id': requestId,
      connection: 'close',
    }) + text,
  );
}

/** A Machine's answer other than 101 (a 4xx, a 404, a fallback page): relayed whole, then the socket closes. */
async function relayAnswer(socket: Duplex, res: http.IncomingMessage, requestId: string): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_HANDSHAKE_RESPONSE_BYTES) break;
    chunks.push(chunk);
  }
  res.destroy();
  const bodyBytes = Buffer.concat(chunks);
  const headers = clientResponseHeaders(res.rawHeaders, requestId);
  headers['content-length'] = String(bodyBytes.length);
  headers.connection = 'close';
  socket.end(Buffer.concat([Buffer.from(rawHead(res.statusCode ?? 502, res.statusMessage ?? '', headers)), bodyBytes]));
}

/**
 * WebSocket (any Upgrade) handshakes arrive here with the raw client socket: the handshake is
 * routed and replayed like any request; only a Machine's 101 is passed on, and then the two
 * sockets are joined. Every other answer is written to the raw socket, which is then closed.
 */
export async function handleUpgrade(
  env: EdgeEnv,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { stats, region, load } = env.options;
  stats.request(region, true);
  const ctx = requestContext(env, req);
  const upstream = new Set<http.ClientRequest>();
  let gone = false;
  socket.on('error', () => socket.destroy());
  socket.once('close', () => {
    gone = true;
    for (const r of upstream) r.destroy();
  });
  const result = await routeWithReplays<HandshakeOutcome>({
    ...routeBase<HandshakeOutcome>(env, req, ctx, true, () => gone),
    // A handshake has no body; anything after its headers (`head`) is WebSocket data for the final Machine.
    bodyReplayable: true,
    deliver: (machine, headers, path, followReplay) =>
      deliverUpgrade({
        machine,
        method: req.method ?? 'GET',
        path,
        headers,
        load,
        followReplay,
        onRequest: (r) => upstream.add(r),
      }),
  });
  if (result.kind === 'cancelled') return;
  if (result.kind === 'error') {
    reportProxyError(env, result.error);
    writeProxyError(socket, result.error, ctx.requestId);
    return;
  }
  const answer = result.value;
  if (answer.kind !== 'switched') {
    await relayAnswer(socket, answer.res, ctx.requestId);
    return;
  }
  if (gone) {
    answer.socket.destroy();
    return;
  }
  const headers = clientResponseHeaders(answer.res.rawHeaders, ctx.requestId, true);
  socket.write(rawHead(101, answer.res.statusMessage ?? 'Switching Protocols', headers));
  if (answer.head.length > 0) socket.write(answer.head);
  if (head.length > 0) answer.socket.write(head);
  pipeSockets(socket, answer.socket, answer.done);
}
