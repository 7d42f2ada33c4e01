import Type from 'typebox';
import { STREAM_EPOCH_MAX } from '../../shared/protocol.ts';
import { ErrorBody } from '../errors/error-body.ts';
import { NewStreamBody, StreamParams } from '../streams/schemas.ts';
import { PUBLISH_TOKEN_MAX_CHARS } from '../streams/tokens.ts';

/**
 * `POST /api/streams/<id>/resume`: the publish token, and what the creator's page knows of the stream
 * (its fields as `POST /api/streams` checks them, its start, the epoch and the last chat number it saw).
 */
export const ResumeBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: PUBLISH_TOKEN_MAX_CHARS }),
  title: NewStreamBody.properties.title,
  creator: NewStreamBody.properties.creator,
  startedAt: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'ms since the epoch' }),
  epoch: Type.Integer({ minimum: 0, maximum: STREAM_EPOCH_MAX }),
  chatSeq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
});

export const ResumedStream = Type.Object({
  id: Type.String(),
  machineId: Type.Union([Type.String(), Type.Null()]),
  region: Type.Union([Type.String(), Type.Null()]),
  epoch: Type.Integer(),
  watchUrl: Type.String(),
});

/** A 409 names the Machine the stream is live on, so the page publishes there. */
export const LiveElsewhere = Type.Object({
  error: Type.String(),
  machineId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  region: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

export const ResumeSchema = {
  params: StreamParams,
  body: ResumeBody,
  response: { 200: ResumedStream, 409: LiveElsewhere, '4xx': ErrorBody, 503: ErrorBody },
};
