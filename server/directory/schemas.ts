import Type, { type Static } from 'typebox';
import type { DirectoryStream, DirectoryView } from '../../shared/directory-api.ts';
import { ErrorBody } from '../errors/error-body.ts';

/** shared/directory-api.ts's shapes as response schemas; the checks below keep the two in step. */
export const DirectoryStreamSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  creator: Type.String(),
  machineId: Type.String(),
  region: Type.String(),
  viewers: Type.Number(),
  startedAt: Type.Number(),
  epoch: Type.Number(),
  thumbnail: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const DirectoryMachineSchema = Type.Object({
  id: Type.String(),
  region: Type.String(),
  streams: Type.Number(),
  lastSeenMs: Type.Number(),
  relay: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('off')])),
});

export const DirectoryViewSchema = Type.Object({
  streams: Type.Array(DirectoryStreamSchema),
  machines: Type.Array(DirectoryMachineSchema),
  stale: Type.Boolean(),
});

// Compile-time: a field added to (or dropped from) either side without the other fails the type check.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type SchemasMatchSharedTypes = [
  Holds<Same<Static<typeof DirectoryStreamSchema>, DirectoryStream>>,
  Holds<Same<Static<typeof DirectoryViewSchema>, DirectoryView>>,
];

export const ListSchema = { response: { 200: DirectoryViewSchema } };

export const OneStreamSchema = {
  params: Type.Object({ id: Type.String() }),
  response: { 200: DirectoryStreamSchema, 404: ErrorBody },
};

export const FeedSchema = { response: { 429: ErrorBody, 503: ErrorBody } };
