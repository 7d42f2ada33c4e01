import type { FastifyRequest } from 'fastify';
import type WebSocket from 'ws';

/** Connection errors that only say the client went away mid-write or mid-read. */
const GONE = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Who caused a socket error, and so how loudly to log it: `protocol` (the client sent what WebSocket
 * forbids: an unmasked or oversized frame, bad UTF-8, a bad close code; ws has already closed with the
 * matching code), `gone` (the connection broke), or `server` (anything else: our bug).
 */
export function socketErrorKind(err: { code?: unknown }): 'protocol' | 'gone' | 'server' {
  const code = typeof err.code === 'string' ? err.code : '';
  if (code.startsWith('WS_ERR_')) return 'protocol';
  if (GONE.has(code)) return 'gone';
  return 'server';
}

/**
 * @fastify/websocket's `errorHandler`. Its default logs every socket error at error level with a stack,
 * so a client sending garbage frames filled the log with stacks. Client-caused errors are one line
 * without a stack (info for a protocol violation, debug for a broken connection); only our own
 * failures stay errors. The socket is cut either way, as the default does.
 */
export function socketErrorHandler(error: Error, socket: WebSocket, request: FastifyRequest): void {
  const kind = socketErrorKind(error as Error & { code?: unknown });
  const code = (error as Error & { code?: unknown }).code;
  if (kind === 'protocol')
    request.log.info({ code, reason: error.message }, 'socket closed: the client broke the protocol');
  else if (kind === 'gone') request.log.debug({ code }, 'socket closed: the connection broke');
  else request.log.error({ err: error }, 'socket failed');
  socket.terminate();
}
