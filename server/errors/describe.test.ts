import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeError,
  describeSchemaErrors,
  type ErrorLike,
  INTERNAL_ERROR,
  isApiPath,
  type SchemaError,
  wantsPage,
} from './describe.ts';

const fastifyError = (code: string, statusCode: number): ErrorLike => ({ code, statusCode, message: 'terse' });

test('describeError: status and reason for each kind of error', () => {
  const rows: Array<[string, ErrorLike, number | undefined, number, string]> = [
    [
      'schema failure',
      { statusCode: 400, validation: [], message: 'title must be a string' },
      undefined,
      400,
      'title must be a string',
    ],
    [
      'body too large, limit known',
      fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413),
      4096,
      413,
      'the request body is larger than 4096 bytes',
    ],
    [
      'body too large, limit unknown',
      fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413),
      undefined,
      413,
      'the request body is too large',
    ],
    [
      'unsupported media type',
      fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415),
      undefined,
      415,
      'unsupported content type: send application/json',
    ],
    [
      'empty JSON body',
      fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400),
      undefined,
      400,
      'the body is empty: send a JSON object',
    ],
    ['invalid JSON', fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), undefined, 400, 'the body is not valid JSON'],
    [
      'length mismatch',
      fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400),
      undefined,
      400,
      'the body does not match its content-length',
    ],
    ['bad URL', fastifyError('FST_ERR_BAD_URL', 400), undefined, 400, 'the URL is malformed (bad percent-encoding)'],
    [
      'long path segment',
      fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414),
      undefined,
      414,
      'a path segment of the URL is too long',
    ],
    ['other client error: the status text', { statusCode: 403, message: 'details' }, undefined, 403, 'forbidden'],
    ['plain Error', { message: 'secret detail' }, undefined, 500, INTERNAL_ERROR],
    ['server error status', { statusCode: 503, message: 'secret detail' }, undefined, 500, INTERNAL_ERROR],
    ['nonsense status', { statusCode: 42, message: 'secret detail' }, undefined, 500, INTERNAL_ERROR],
    ['known code, server status', fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 500), undefined, 500, INTERNAL_ERROR],
  ];
  for (const [name, err, limit, status, reason] of rows) {
    assert.deepEqual(describeError(err, limit), { status, reason }, name);
  }
});

const body = {
  type: 'object',
  properties: { title: { type: 'string' }, creator: { type: 'string' } },
};

test('describeSchemaErrors: one reason naming the field', () => {
  const rows: Array<[string, SchemaError[], string, unknown, string]> = [
    [
      'refinement: its own message',
      [{ keyword: '~refine', instancePath: '/title', params: { message: 'title must be 1-100 characters' } }],
      'body',
      body,
      'title must be 1-100 characters',
    ],
    [
      'wrong type of a field',
      [{ keyword: 'type', instancePath: '/title', params: { type: 'string' } }],
      'body',
      body,
      'title must be a string',
    ],
    [
      'integer field',
      [{ keyword: 'type', instancePath: '/n', params: { type: 'integer' } }],
      'body',
      undefined,
      'n must be an integer',
    ],
    [
      'body not an object: lists the fields',
      [{ keyword: 'type', instancePath: '', params: { type: 'object' } }],
      'body',
      body,
      'the body must be a JSON object {"title", "creator"}',
    ],
    [
      'body not an object, schema unknown',
      [{ keyword: 'type', instancePath: '', params: { type: 'object' } }],
      'body',
      undefined,
      'the body must be a JSON object',
    ],
    [
      'missing field (TypeBox params)',
      [{ keyword: 'required', instancePath: '', params: { requiredProperties: ['creator', 'title'] } }],
      'body',
      body,
      'creator is required (a string)',
    ],
    [
      'missing field (Ajv params), type unknown',
      [{ keyword: 'required', instancePath: '', params: { missingProperty: 'x' } }],
      'body',
      body,
      'x is required',
    ],
    [
      'path parameter pattern',
      [{ keyword: 'pattern', instancePath: '/id', params: { pattern: '^[0-9]{2}$' } }],
      'params',
      undefined,
      'id must match ^[0-9]{2}$',
    ],
    [
      'nested field, length',
      [{ keyword: 'maxLength', instancePath: '/a/0/b', params: { limit: 5 } }],
      'body',
      undefined,
      'a.0.b must be at most 5 characters',
    ],
    [
      'min length',
      [{ keyword: 'minLength', instancePath: '/q', params: { limit: 1 } }],
      'querystring',
      undefined,
      'q must be at least 1 character',
    ],
    [
      'other keyword: the validator message',
      [{ keyword: 'enum', instancePath: '/mode', params: {}, message: 'must be one of a, b' }],
      'querystring',
      undefined,
      'mode must be one of a, b',
    ],
    [
      'only the first failure',
      [
        { keyword: 'type', instancePath: '/title', params: { type: 'string' } },
        { keyword: 'type', instancePath: '/creator', params: { type: 'string' } },
      ],
      'body',
      body,
      'title must be a string',
    ],
    ['no detail at all', [], 'headers', undefined, 'the headers failed validation'],
  ];
  for (const [name, errors, part, schema, reason] of rows) {
    assert.equal(describeSchemaErrors(errors, part, schema), reason, name);
  }
});

test('API paths and page requests', () => {
  for (const path of ['/api', '/api/streams', '/ws', '/ws/watch/x']) assert.ok(isApiPath(path), path);
  for (const path of ['/', '/apis', '/watch/x', '/wsx', '/assets/a.js']) assert.ok(!isApiPath(path), path);
  assert.ok(wantsPage('GET', '/watch/x', 'text/html,application/xhtml+xml'));
  assert.ok(wantsPage('HEAD', '/', 'text/html'));
  assert.ok(!wantsPage('GET', '/api/streams', 'text/html'), 'API paths answer JSON whatever is accepted');
  assert.ok(!wantsPage('POST', '/live', 'text/html'));
  assert.ok(!wantsPage('GET', '/watch/x', 'application/json'));
  assert.ok(!wantsPage('GET', '/watch/x', undefined));
});
