import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { baseSecurityHeaders } from '../security-headers.ts';
import { describeError, describeSchemaErrors, pathOf, wantsPage } from './describe.ts';
import { ERROR_PAGE_CSP, errorPage } from './error-page.ts';

/** Answers an error the way the whole app does: `{"error": "<reason>"}`, or the HTML error page on a page. */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, reason } = describeError(error, request.routeOptions.bodyLimit);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: error.code, status, reason }, 'request refused');
  // Set here too: a malformed URL is answered before any hook runs.
  reply.code(status).header('cache-control', 'no-store').headers(baseSecurityHeaders(request.headers));
  if (wantsPage(request.method, pathOf(request.url), request.headers.accept)) {
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', ERROR_PAGE_CSP)
      .send(errorPage(status, reason));
    return;
  }
  reply.send({ error: reason });
}

/** The 404 of an unknown API or socket path (the web plugin answers unknown pages). */
export function sendNoSuchEndpoint(request: FastifyRequest, reply: FastifyReply): void {
  const path = pathOf(request.url);
  reply
    .code(404)
    .header('cache-control', 'no-store')
    .send({ error: `no such endpoint: ${request.method} ${path.slice(0, 200)}` });
}

/**
 * A request too malformed for Fastify to route (Node's HTTP parser refused it): there is no request
 * object, so the answer is written on the socket, in the same shape.
 */
function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [400, 'malformed HTTP request'];
  // One line without a stack: a client sending garbage must not fill the log.
  this.log.debug({ code: err.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: reason });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Server options for the errors Fastify answers before any route or hook runs (a malformed URL, an
 * over-long path segment, a request Node cannot parse): pass them to `Fastify()`.
 */
export const errorServerOptions = {
  frameworkErrors: sendError,
  clientErrorHandler,
};

const errors: FastifyPluginAsync = async (app) => {
  // TypeBox's own compiler, not Ajv: it runs the schemas' refinements (the shared field rules).
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  // Each route's schema failures are described with its own schema at hand (to name the body's fields).
  app.addHook('onRoute', (route) => {
    const { schema } = route;
    route.schemaErrorFormatter ??= (failures, part) => new Error(describeSchemaErrors(failures, part, schema?.[part]));
  });
  app.setErrorHandler(sendError);
};

/**
 * One error shape for the whole app: every error on the API and socket paths, the app's and Fastify's
 * own (body too large, invalid JSON, unsupported content type, schema failures), answers
 * `{"error": "<reason>"}` with its status; pages get the HTML error page; a real failure is a 500 that
 * says "internal error" and nothing more. Register it before any route.
 */
export const errorsPlugin = fp(errors, { name: 'errors', fastify: '5.x' });
