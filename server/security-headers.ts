import type { IncomingHttpHeaders } from 'node:http';
import fp from 'fastify-plugin';
import { ERROR_PAGE_CSP } from './errors/error-page.ts';

/** One year: browsers that reached the app over https keep using https for it. */
export const HSTS_MAX_AGE_S = 365 * 24 * 60 * 60;
/** No `includeSubDomains`: the app cannot speak for other hosts under a custom domain. */
export const HSTS = `max-age=${HSTS_MAX_AGE_S}`;

/** Whether the client reached Fly's edge over https (the proxy says so; the Machine itself speaks http). */
export function cameOverHttps(headers: IncomingHttpHeaders): boolean {
  return headers['x-forwarded-proto'] === 'https' || headers['fly-forwarded-proto'] === 'https';
}

/** Headers every response carries, whatever answers it. */
export function baseSecurityHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return cameOverHttps(headers)
    ? { 'x-content-type-options': 'nosniff', 'strict-transport-security': HSTS }
    : { 'x-content-type-options': 'nosniff' };
}

/**
 * Security headers on every response, not only pages: `nosniff` everywhere, HSTS behind https, and on
 * any HTML answer without a policy of its own (error pages, the "client not built" page) the error
 * page's strict CSP with `frame-ancestors 'none'`. The base headers go on the raw response at the
 * start, so answers written past Fastify's reply (the directory feed, hijacked replies) carry them too.
 * Register it first: hooks reach only the contexts created after them. Answers Fastify gives before any
 * hook runs (a malformed URL) get the same headers from the errors plugin's `sendError`.
 */
export const securityHeadersPlugin = fp(
  async (app) => {
    app.addHook('onRequest', (request, reply, done) => {
      for (const [name, value] of Object.entries(baseSecurityHeaders(request.headers)))
        reply.raw.setHeader(name, value);
      done();
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/html') && !reply.hasHeader('content-security-policy')) {
        reply.header('content-security-policy', ERROR_PAGE_CSP);
      }
      done(null, payload);
    });
  },
  { name: 'security-headers', fastify: '5.x' },
);
