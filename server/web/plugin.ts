import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isApiPath, pathOf } from '../errors/describe.ts';
import { errorPage } from '../errors/error-page.ts';
import { sendNoSuchEndpoint } from '../errors/plugin.ts';
import { edgeRegionFrom, type PageTemplate, parseTemplate, renderPage } from './inject.ts';

/** The pages' settings: `config.web`. */
export interface WebOptions {
  /** Folder Vite builds into (`defaultClientRoot()`: `dist/client` at the project root). */
  root: string;
}

/** Hashed file names change with their content, so browsers and edges may keep them for a year. */
export const ASSET_MAX_AGE_S = 365 * 24 * 60 * 60;
export const ASSET_CACHE_CONTROL = `public, max-age=${ASSET_MAX_AGE_S}, immutable`;
/** The favicon's name has no hash: cache it for a day only. */
export const FAVICON_MAX_AGE_S = 24 * 60 * 60;

/** What the pages may load: only this origin (sockets included), camera streams and blobs for media. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// The error page (and its CSP): an inline style attribute would need a weaker policy.
const NOT_BUILT_PAGE = errorPage(
  503,
  'The browser client is not built: dist/client is missing. Run npm run build:client (or npm run build) and reload. The API and sockets work without it.',
);

interface LoadedClient {
  template: PageTemplate;
  favicon: Buffer | null;
  /** index.html's mtime when read: a rebuild while the server runs is picked up on the next page. */
  mtimeMs: number;
}

/**
 * Serves the built Preact client: hashed `/assets/*` cached for a year (any Machine has them, so the
 * routing hook never replays them), and the app's HTML with `no-cache` and this Machine's id and
 * region written on `<body>`. Owns the 404 handler: JSON for `/api/*` and `/ws/*`, the app's own
 * "not found" page otherwise. Register it last so API routes win.
 */
export const webPlugin = fp<WebOptions>(
  async (app, opts) => {
    const { root } = opts;
    const indexPath = join(root, 'index.html');
    let loaded: LoadedClient | null = null;
    let warned = false;

    // One stat per page view (pages are not the hot path): a missing build is retried, and a
    // rebuild is served at once instead of HTML that points at assets which no longer exist.
    const load = async (): Promise<LoadedClient | null> => {
      let mtimeMs: number;
      let html: string;
      try {
        mtimeMs = (await stat(indexPath)).mtimeMs;
        if (loaded !== null && loaded.mtimeMs === mtimeMs) return loaded;
        html = await readFile(indexPath, 'utf8');
      } catch (err) {
        if (!warned) {
          warned = true;
          app.log.warn(
            { root, code: (err as NodeJS.ErrnoException).code },
            'client build missing: run `npm run build:client`; pages answer 503 until then',
          );
        }
        loaded = null;
        return null;
      }
      let template: PageTemplate;
      try {
        template = parseTemplate(html);
      } catch (err) {
        app.log.error({ err, root }, 'the built index.html is unusable; pages answer 503');
        loaded = null;
        return null;
      }
      const favicon = await readFile(join(root, 'favicon.svg')).catch(() => null);
      loaded = { template, favicon, mtimeMs };
      warned = false;
      app.log.info({ root }, 'serving the built client');
      return loaded;
    };
    await load();

    const sendPage = async (request: FastifyRequest, reply: FastifyReply, status: number) => {
      const client = await load();
      if (client === null) {
        return reply
          .code(503)
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(NOT_BUILT_PAGE);
      }
      const html = renderPage(client.template, {
        machineId: app.machine.id,
        region: app.machine.region,
        edgeRegion: edgeRegionFrom(request.headers['fly-region']),
      });
      return reply
        .code(status)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('referrer-policy', 'same-origin')
        .type('text/html; charset=utf-8')
        .send(html);
    };

    const page = (request: FastifyRequest, reply: FastifyReply) => sendPage(request, reply, 200);
    app.get('/', page);
    app.get('/live', page);
    app.get('/live/*', page);
    app.get('/watch/*', page);

    const favicon = async (_request: FastifyRequest, reply: FastifyReply) => {
      const client = await load();
      if (client?.favicon == null) return reply.callNotFound();
      return reply
        .header('cache-control', `public, max-age=${FAVICON_MAX_AGE_S}`)
        .type('image/svg+xml')
        .send(client.favicon);
    };
    app.get('/favicon.svg', favicon);
    app.get('/favicon.ico', favicon);

    // In a child context: @fastify/static's own wildcard route and reply decorators stay private.
    await app.register(async (assets) => {
      await assets.register(fastifyStatic, {
        root: join(root, 'assets'),
        prefix: '/assets/',
        decorateReply: false,
        index: false,
        cacheControl: true,
        maxAge: ASSET_MAX_AGE_S * 1000,
        immutable: true,
        // We warn about a missing build ourselves; misses fall through to the 404 handler below.
        suppressWarning: true,
        // `/assets/.git/config` and the like: 403 for any path with a dot segment, whether it exists or not.
        dotfiles: 'deny',
      });
    });

    app.setNotFoundHandler(async (request, reply) => {
      const path = pathOf(request.url);
      if (isApiPath(path)) return sendNoSuchEndpoint(request, reply);
      reply.header('cache-control', 'no-store');
      if (
        (request.method === 'GET' || request.method === 'HEAD') &&
        !path.startsWith('/assets/') &&
        (await load()) !== null
      ) {
        // The app itself says "page not found", with links back; the status stays 404.
        return sendPage(request, reply, 404);
      }
      return reply.code(404).type('text/plain; charset=utf-8').send('404 not found\n');
    });
  },
  { name: 'web', fastify: '5.x', dependencies: ['machine'] },
);
