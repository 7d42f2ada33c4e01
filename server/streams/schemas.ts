import Type from 'typebox';
import { CREATOR_MAX_CHARS, creatorProblem, TITLE_MAX_CHARS, titleProblem } from '../../shared/stream-fields.ts';
import { ErrorBody } from '../errors/error-body.ts';
import { STREAM_ID_PATTERN } from './registry.ts';

/**
 * A field checked by one of shared/stream-fields.ts's rules (the go-live form runs the same ones), so
 * the schema and the page cannot drift apart; the rule's own reason names the field.
 */
function ruled(problem: (value: string) => string | null, description: string) {
  return Type.Refine(
    Type.String({ description }),
    (value) => problem(value) === null,
    (value) => problem(value) ?? '',
  );
}

/** `POST /api/streams`: other properties are ignored. */
export const NewStreamBody = Type.Object({
  title: ruled(titleProblem, `1-${TITLE_MAX_CHARS} characters after trimming, no control characters`),
  creator: ruled(creatorProblem, `1-${CREATOR_MAX_CHARS} letters, digits, spaces, "_", "." or "-" after trimming`),
});

export const CreatedStream = Type.Object({
  id: Type.String(),
  machineId: Type.Union([Type.String(), Type.Null()]),
  region: Type.Union([Type.String(), Type.Null()]),
  publishToken: Type.String(),
  watchUrl: Type.String(),
});

export const CreateStreamSchema = {
  body: NewStreamBody,
  response: { 201: CreatedStream, '4xx': ErrorBody, 503: ErrorBody },
};

/** `/ws/watch/:id` and `/ws/publish/:id`: a stream id is a ULID. */
export const StreamParams = Type.Object({ id: Type.String({ pattern: STREAM_ID_PATTERN.source }) });

export const WatchSchema = { params: StreamParams };

export const PublishSchema = {
  params: StreamParams,
  querystring: Type.Object({ token: Type.Optional(Type.String()) }),
};
