import Type, { type Static } from 'typebox';
import type { DirectoryMachine, DirectoryStream, DirectoryView, ServedBy } from '../../shared/directory-api.ts';
import { ErrorBody } from '../errors/error-body.ts';

/** shared/directory-api.ts's shapes as response schemas; the checks below keep the two in step. */
export const ServedBySchema = Type.Object({
  machineId: Type.String(),
  region: Type.String(),
  viewers: Type.Number(),
  role: Type.Union([Type.Literal('home'), Type.Literal('relay')]),
});

export const DirectoryStreamSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  creator: Type.String(),
  machineId: Type.String(),
  region: Type.String(),
  viewers: Type.Number(),
  startedAt: Type.Number(),
  epoch: Type.Number(),
  servedBy: Type.Optional(Type.Array(ServedBySchema)),
  thumbnail: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const DirectoryMachineSchema = Type.Object({
  id: Type.String(),
  region: Type.String(),
  streams: Type.Number(),
  lastSeenMs: Type.Number(),
  relay: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('off')])),
  connections: Type.Optional(Type.Number()),
  relayed: Type.Optional(Type.Array(Type.Object({ id: Type.String(), viewers: Type.Number() }))),
});

export const DirectoryViewSchema = Type.Object({
  streams: Type.Array(DirectoryStreamSchema),
  machines: Type.Array(DirectoryMachineSchema),
  stale: Type.Boolean(),
});

// Compile-time: a field added to (or dropped from) either side without the other fails the type check.
// The keys are compared too: an optional field missing from a schema would pass the first check, and the
// response serializer would then drop it silently.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SameKeys<A, B> = Same<keyof A, keyof B>;
type Holds<T extends true> = T;
export type SchemasMatchSharedTypes = [
  Holds<Same<Static<typeof DirectoryStreamSchema>, DirectoryStream>>,
  Holds<SameKeys<Static<typeof DirectoryStreamSchema>, DirectoryStream>>,
  Holds<SameKeys<Static<typeof DirectoryMachineSchema>, DirectoryMachine>>,
  Holds<SameKeys<Static<typeof ServedBySchema>, ServedBy>>,
  Holds<Same<Static<typeof DirectoryViewSchema>, DirectoryView>>,
];

export const ListSchema = { response: { 200: DirectoryViewSchema } };

export const OneStreamSchema = {
  params: Type.Object({ id: Type.String() }),
  response: { 200: DirectoryStreamSchema, 404: ErrorBody },
};

export const FeedSchema = { response: { 429: ErrorBody, 503: ErrorBody } };
