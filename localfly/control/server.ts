import http from 'node:http';
import type { NetworkInfo } from '../cluster-options.ts';
import type { Stats } from '../edge/stats.ts';
import { LocalflyError, listenTcp } from '../listen.ts';
import type { DeployReport } from '../machines/deploy.ts';
import type { Fleet } from '../machines/fleet.ts';
import { REGION_CODE_PATTERN } from '../regions.ts';

/** Largest request body the control API reads (it only ever needs `{"region": "ams"}`). */
export const MAX_CONTROL_BODY_BYTES = 16 * 1024;
const MACHINE_ACTIONS = ['start', 'stop', 'kill', 'restart', 'destroy'] as const;
type MachineAction = (typeof MACHINE_ACTIONS)[number];

export interface ControlTarget {
  summary(): { app: string; edges: Record<string, string>; dns: string; network?: NetworkInfo };
  machines: Pick<Fleet, 'list' | 'get' | 'create' | MachineAction>;
  stats: Pick<Stats, 'snapshot' | 'reset'>;
  /** A rolling restart of every Machine; null while one already runs. */
  deploy?(): Promise<DeployReport> | null;
}

export interface ControlServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A restart's optional body `{"env": {"NAME": "value"}}`: the Machine's own variables from then on. */
function machineEnvBody(body: unknown): Record<string, string> | undefined {
  const env = typeof body === 'object' && body !== null ? (body as { env?: unknown }).env : undefined;
  if (env === undefined) return undefined;
  const bad = () => new HttpError(400, 'give {"env": {"NAME": "value", ...}} (names of A-Z, 0-9 and _), or no body');
  if (typeof env !== 'object' || env === null || Array.isArray(env)) throw bad();
  for (const [name, value] of Object.entries(env)) if (!ENV_NAME.test(name) || typeof value !== 'string') throw bad();
  return env as Record<string, string>;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONTROL_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_CONTROL_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

/** Runs a Machine operation; a Machine that will not start is the platform's failure (503), not the caller's. */
async function machineOp<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof LocalflyError) throw new HttpError(503, err.message);
    throw err;
  }
}

async function route(target: ControlTarget, req: http.IncomingMessage): Promise<[number, unknown]> {
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://localfly').pathname.replace(/\/+$/, '') || '/';
  const allow = (methods: string[]) => {
    if (!methods.includes(method)) throw new HttpError(405, `use ${methods.join(' or ')} on ${path}`);
  };

  if (path === '/') {
    allow(['GET']);
    return [200, { ...target.summary(), machines: target.machines.list() }];
  }
  if (path === '/stats') {
    allow(['GET']);
    return [200, target.stats.snapshot()];
  }
  if (path === '/stats/reset') {
    allow(['POST']);
    target.stats.reset();
    return [200, target.stats.snapshot()];
  }
  if (path === '/deploy') {
    allow(['POST']);
    const run = target.deploy?.();
    if (run === undefined) throw new HttpError(404, 'this cluster cannot deploy');
    if (run === null) throw new HttpError(409, 'a deploy is already running');
    return [200, await machineOp(() => run)];
  }
  if (path === '/machines') {
    allow(['GET', 'POST']);
    if (method === 'GET') return [200, target.machines.list()];
    const body = await readJson(req);
    const region = typeof body === 'object' && body !== null ? (body as { region?: unknown }).region : undefined;
    if (typeof region !== 'string' || !REGION_CODE_PATTERN.test(region))
      throw new HttpError(400, 'give {"region": "<code>"}, e.g. {"region": "ams"}');
    return [201, await machineOp(() => target.machines.create(region))];
  }
  const match = /^\/machines\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (match === null) throw new HttpError(404, `no route ${path}`);
  const [, id, action] = match as unknown as [string, string, string | undefined];
  if (target.machines.get(id) === undefined) throw new HttpError(404, 'no such Machine');
  if (action === undefined) {
    allow(['GET', 'DELETE']);
    if (method === 'GET') return [200, target.machines.get(id)];
    return [200, await machineOp(() => target.machines.destroy(id))];
  }
  if (!(MACHINE_ACTIONS as readonly string[]).includes(action))
    throw new HttpError(404, `no action ${action}; one of ${MACHINE_ACTIONS.join(', ')}`);
  allow(['POST']);
  if (action === 'restart') {
    const env = machineEnvBody(await readJson(req));
    return [200, await machineOp(() => target.machines.restart(id, env))];
  }
  return [200, await machineOp(() => target.machines[action as MachineAction](id))];
}

/**
 * The control API: inspect the cluster, stop/start/kill/add Machines, rehearse a rolling deploy, read per-edge stats.
 * JSON in and out; every bad request gets a status and `{error}`.
 */
export async function startControlServer(options: {
  host?: string;
  port: number;
  target: ControlTarget;
}): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    route(options.target, req).then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => {
        if (err instanceof HttpError) send(res, err.status, { error: err.message });
        else send(res, 500, { error: err instanceof Error ? err.message : String(err) });
      },
    );
  });
  const port = await listenTcp(server, host, options.port, 'control API');
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
