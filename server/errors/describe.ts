import { STATUS_CODES } from 'node:http';

/** What every unexpected failure says: details go to the log, never to the client. */
export const INTERNAL_ERROR = 'internal error';

/** Paths of the API and the sockets: their errors are always JSON, whatever the client accepts. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/ws' || path.startsWith('/ws/');
}

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** A person's browser opening a page (not the API): errors get the HTML error page. */
export function wantsPage(method: string, path: string, accept: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && !isApiPath(path) && accept?.includes('text/html') === true;
}

export interface ErrorAnswer {
  status: number;
  reason: string;
}

/** The parts of an error thrown in a request's life that decide the answer. */
export interface ErrorLike {
  message: string;
  code?: string;
  statusCode?: number;
  /** Set by Fastify on schema failures; the message is then our schema reason. */
  validation?: unknown;
}

/** Fastify's own client errors, in words that say what to fix (its messages are terse or echo input). */
const FASTIFY_REASONS: Record<string, (bodyLimitBytes: number | undefined) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (limit) =>
    limit === undefined ? 'the request body is too large' : `the request body is larger than ${limit} bytes`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => 'unsupported content type: send application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => 'the body is empty: send a JSON object',
  FST_ERR_CTP_INVALID_JSON_BODY: () => 'the body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'the body does not match its content-length',
  FST_ERR_BAD_URL: () => 'the URL is malformed (bad percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: () => 'a path segment of the URL is too long',
};

/**
 * The status and `{"error"}` reason for any error a request ran into: a schema failure (400 with the
 * schema reason), one of Fastify's own client errors (its status, a reason from the table above), any
 * other client error (its status, the status text), and everything else a 500 that says no more than
 * "internal error".
 */
export function describeError(err: ErrorLike, bodyLimitBytes?: number): ErrorAnswer {
  const status = err.statusCode;
  if (status === undefined || !Number.isInteger(status) || status < 400 || status > 499) {
    return { status: 500, reason: INTERNAL_ERROR };
  }
  if (err.validation !== undefined) return { status, reason: err.message };
  const reason = err.code === undefined ? undefined : FASTIFY_REASONS[err.code];
  if (reason !== undefined) return { status, reason: reason(bodyLimitBytes) };
  return { status, reason: (STATUS_CODES[status] ?? 'bad request').toLowerCase() };
}

/** One schema failure, as TypeBox (and Ajv) report it. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** The property names of an object schema, each with its type if it says one (a route schema is any JSON). */
function propertiesOf(schema: unknown): Map<string, unknown> | undefined {
  if (typeof schema !== 'object' || schema === null || !('properties' in schema)) return undefined;
  const { properties } = schema;
  if (typeof properties !== 'object' || properties === null) return undefined;
  return new Map(
    Object.entries(properties).map(([name, property]: [string, unknown]) => [
      name,
      typeof property === 'object' && property !== null && 'type' in property ? property.type : undefined,
    ]),
  );
}

const PARTS: Record<string, string> = {
  body: 'the body',
  params: 'the path',
  querystring: 'the query string',
  headers: 'the headers',
};

function characters(limit: unknown): string {
  return limit === 1 ? '1 character' : `${String(limit)} characters`;
}

function aType(type: unknown): string {
  const name = Array.isArray(type) ? type.join(' or ') : String(type);
  return name === 'object' ? 'a JSON object' : /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

/**
 * One short reason for a request that failed its route's schema, naming the field: the first failure
 * only (a client fixes one thing at a time). Refinements (`~refine`) carry their own message, e.g.
 * shared/stream-fields.ts's "title must be 1-100 characters".
 */
export function describeSchemaErrors(errors: readonly SchemaError[], part: string, schema?: unknown): string {
  const where = PARTS[part] ?? part;
  const first = errors[0];
  if (first === undefined) return `${where} failed validation`;
  const field = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const subject = field === '' ? where : field;
  const { params } = first;
  switch (first.keyword) {
    case '~refine':
      return String(params.message);
    case 'type': {
      const properties = field === '' ? propertiesOf(schema) : undefined;
      if (properties === undefined) return `${subject} must be ${aType(params.type)}`;
      const names = [...properties.keys()].map((name) => JSON.stringify(name));
      return `${where} must be a JSON object {${names.join(', ')}}`;
    }
    case 'required': {
      const missing = params.requiredProperties ?? params.missingProperty;
      const name = String(Array.isArray(missing) ? missing[0] : missing);
      const type = propertiesOf(schema)?.get(name);
      return type === undefined ? `${name} is required` : `${name} is required (${aType(type)})`;
    }
    case 'pattern':
      return `${subject} must match ${String(params.pattern)}`;
    case 'maxLength':
      return `${subject} must be at most ${characters(params.limit)}`;
    case 'minLength':
      return `${subject} must be at least ${characters(params.limit)}`;
    default:
      return `${subject} ${first.message ?? 'is not valid'}`;
  }
}
