import type http from 'node:http';
import { deliverHttp, type RequestBody, readBody } from './deliver-http.ts';
import { type EdgeEnv, reportProxyError, requestContext, routeBase } from './edge-env.ts';
import { clientResponseHeaders } from './fly-headers.ts';
import { PROXY_ERROR_STATUS, type ProxyError, proxyErrorBody } from './proxy-error.ts';
import { routeWithReplays } from './route-loop.ts';

function writeProxyError(res: http.ServerResponse, error: ProxyError, requestId: string, body: RequestBody): void {
  const text = proxyErrorBody(error, requestId);
  res.writeHead(PROXY_ERROR_STATUS[error.code], {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'fly-request-id': requestId,
    via: '1.1 fly.io',
    // The rest of a streamed body was never read: this connection cannot carry another request.
    ...(body.kind === 'stream' ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/** One plain HTTP request: read its body (up to the replay limit), route it with replays, relay the answer. */
export async function handleRequest(env: EdgeEnv, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { stats, region, load } = env.options;
  stats.request(region, false);
  const ctx = requestContext(env, req);
  const upstream = new Set<http.ClientRequest>();
  let gone = false;
  res.on('close', () => {
    if (res.writableFinished) return;
    gone = true;
    for (const r of upstream) r.destroy();
  });
  let body: RequestBody;
  try {
    body = await readBody(req, env.maxBodyBytes);
  } catch {
    res.destroy();
    return;
  }
  const result = await routeWithReplays({
    ...routeBase<http.IncomingMessage>(env, req, ctx, false, () => gone),
    bodyReplayable: body.kind === 'buffered',
    deliver: (machine, headers, path, followReplay) =>
      deliverHttp({
        machine,
        method: req.method ?? 'GET',
        path,
        headers,
        body,
        agent: env.agent,
        load,
        followReplay,
        onRequest: (r) => upstream.add(r),
      }),
  });
  if (result.kind === 'cancelled') return;
  if (result.kind === 'error') {
    reportProxyError(env, result.error);
    writeProxyError(res, result.error, ctx.requestId, body);
    return;
  }
  const answer = result.value;
  if (gone) {
    answer.destroy();
    return;
  }
  res.writeHead(
    answer.statusCode ?? 502,
    answer.statusMessage,
    clientResponseHeaders(answer.rawHeaders, ctx.requestId),
  );
  answer.on('error', () => res.destroy());
  answer.pipe(res);
}
