import http from 'node:http';
import type { Readable } from 'node:stream';
import type { MachineView } from '../types.ts';
import { machineTarget } from './connect.ts';
import type { Load } from './load.ts';
import { withCacheInvalidation } from './replay-cache.ts';
import { type ParsedReplay, parseReplayHeader, parseReplayJson, REPLAY_JSON_CONTENT_TYPE } from './replay-header.ts';
import type { Delivery } from './route-loop.ts';

/** Largest JSON replay instruction read from a Machine's answer. */
export const MAX_REPLAY_JSON_BYTES = 64 * 1024;

/** Errors that mean nothing reached the Machine, so another try cannot duplicate the request. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * A client's request body as the edge holds it: fully buffered (under 1 MiB: replayable), or a
 * stream whose first part was read before the limit was reached (sent once, never replayed).
 */
export type RequestBody =
  | { kind: 'buffered'; data: Buffer; declared: boolean }
  | { kind: 'stream'; head: Buffer[]; rest: Readable };

/**
 * Reads the body while it stays under `maxBytes`. A declared length of `maxBytes` or more is not
 * read at all: Fly cannot replay such a request, so it is streamed to the first Machine only.
 */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<RequestBody> {
  const declared = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const length = Number(req.headers['content-length']);
  if (req.headers['content-length'] !== undefined && Number.isFinite(length) && length >= maxBytes) {
    return Promise.resolve({ kind: 'stream', head: [], rest: req });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) {
        req.pause();
        cleanup();
        resolve({ kind: 'stream', head: chunks, rest: req });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: 'buffered', data: Buffer.concat(chunks), declared });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // A client that goes away mid-upload: no 'end' will come.
    const onClose = () => onError(new Error('client closed the request before its body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function readLimited(res: http.IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        resolve(null);
      } else chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(null));
  });
}

/**
 * Reads the replay instruction from a Machine's answer, if it has one: the `fly-replay` header, or
 * a body of type application/vnd.fly.replay+json. The answer itself is consumed and dropped.
 * Returns undefined for an ordinary answer.
 */
export async function replayInstruction(res: http.IncomingMessage): Promise<ParsedReplay | undefined> {
  const type = String(res.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith(REPLAY_JSON_CONTENT_TYPE)) {
    const text = await readLimited(res, MAX_REPLAY_JSON_BYTES);
    return text === null
      ? { ok: false, error: `replay body over ${MAX_REPLAY_JSON_BYTES} bytes or cut short` }
      : parseReplayJson(text);
  }
  const header = res.headers['fly-replay'];
  if (header === undefined) return undefined;
  res.resume();
  return withCacheInvalidation(parseReplayHeader(Array.isArray(header) ? header.join(', ') : header), res.headers);
}

/**
 * The replay instruction an answer carries, as text for a log line, without consuming the answer:
 * for a delivery the edge may not replay again (its answer goes to the client as it is).
 */
export function unfollowedReplay(res: http.IncomingMessage): string | undefined {
  const type = String(res.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith(REPLAY_JSON_CONTENT_TYPE)) return `a ${REPLAY_JSON_CONTENT_TYPE} body`;
  const header = res.headers['fly-replay'];
  if (header === undefined) return undefined;
  return `fly-replay: ${Array.isArray(header) ? header.join(', ') : header}`;
}

export interface HttpDeliveryOptions {
  machine: MachineView;
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body: RequestBody;
  agent: http.Agent;
  load: Load;
  followReplay: boolean;
  /** Called with the upstream request so the caller can abort it when the client goes away. */
  onRequest(req: http.ClientRequest): void;
}

/** Sends one request to one Machine and classifies the outcome for the routing loop. */
export function deliverHttp(
  o: HttpDeliveryOptions,
  retriedReusedSocket = false,
): Promise<Delivery<http.IncomingMessage>> {
  return new Promise((resolve) => {
    const headers = { ...o.headers };
    if (o.body.kind === 'buffered') {
      delete headers['transfer-encoding'];
      if (o.body.declared || o.body.data.length > 0) headers['content-length'] = String(o.body.data.length);
      else delete headers['content-length'];
    }
    const done = o.load.begin(o.machine.id);
    const req = http.request({
      ...machineTarget(o.machine),
      method: o.method,
      path: o.path,
      headers,
      agent: o.agent,
    });
    o.onRequest(req);
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      res.once('close', done);
      if (!o.followReplay) {
        resolve({ kind: 'final', value: res, ignoredReplay: unfollowedReplay(res) });
        return;
      }
      replayInstruction(res).then((parsed) => {
        if (parsed === undefined) {
          resolve({ kind: 'final', value: res });
          return;
        }
        // A Machine may answer before a streamed body is fully sent; stop sending it.
        if (o.body.kind === 'stream') {
          o.body.rest.unpipe(req);
          req.destroy();
        }
        resolve({ kind: 'replay', parsed });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      done();
      if (answered) return;
      // A kept-alive connection the Machine closed meanwhile: the request never reached it.
      if (err.code === 'ECONNRESET' && req.reusedSocket && !retriedReusedSocket && o.body.kind === 'buffered') {
        resolve(deliverHttp(o, true));
        return;
      }
      const code = err.code ?? err.message;
      resolve(
        NOT_DELIVERED.has(err.code ?? '') ? { kind: 'unreachable', error: code } : { kind: 'failed', error: code },
      );
    });
    if (o.body.kind === 'buffered') {
      req.end(o.body.data);
    } else {
      for (const chunk of o.body.head) req.write(chunk);
      o.body.rest.pipe(req);
    }
  });
}
