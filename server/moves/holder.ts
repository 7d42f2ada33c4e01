import type { FastifyPluginAsync } from 'fastify';
import { isObject } from '../../shared/guards.ts';
import type { PeerResponse } from '../directory/peer-client.ts';
import type { PeerFetch } from '../directory/peer-link.ts';
import { StreamParams } from '../streams/schemas.ts';
import type { HoldState } from '../streams/source.ts';

/** `GET <HOLDER_PATH><stream id>` on the private peer API: whether that Machine holds the stream. */
export const HOLDER_PATH = '/internal/streams/';
/** Asking a stream's listed home before taking it over: a crashed home that has not answered by then is taken to be gone. */
export const HOLDER_TIMEOUT_MS = 1000;
/** An answer is a short JSON object; anything longer is not this app's. */
export const HOLDER_ANSWER_MAX_BYTES = 1024;

/** The answer of `GET /internal/streams/<id>` when the stream is held. */
export interface HolderBody {
  id: string;
  /** `moving`: this Machine is going away and waits for the stream's new home. */
  held: 'live' | 'moving';
}

/**
 * What a peer said when asked whether it holds a stream: `live` (it does and is not going away),
 * `moving` (it is going away and waits for the stream's new home), `not-held`, or `unreachable` (no
 * answer, or one this app does not give: no opinion, as from a Machine that crashed).
 */
export type HolderAnswer = 'live' | 'moving' | 'not-held' | 'unreachable';

export function readHolderAnswer(res: PeerResponse, streamId: string): HolderAnswer {
  if (res.status === 404) return 'not-held';
  if (res.status !== 200) return 'unreachable';
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return 'unreachable';
  }
  if (!isObject(body) || body.id !== streamId) return 'unreachable';
  return body.held === 'live' || body.held === 'moving' ? body.held : 'unreachable';
}

/**
 * The peer route (added to the directory's private API, behind its check of the caller): `200 {id, held}`
 * when the stream is held here, `404` when not, `400` for an id that is not a ULID.
 */
export function holderRoutes(holds: (id: string) => HoldState): FastifyPluginAsync {
  return async (api) => {
    api.get<{ Params: { id: string } }>(
      `${HOLDER_PATH}:id`,
      { schema: { params: StreamParams } },
      async (request, reply) => {
        const { id } = request.params;
        const held = holds(id);
        reply.header('cache-control', 'no-store');
        if (held === null) return reply.code(404).send({ error: 'no such stream on this Machine' });
        return { id, held } satisfies HolderBody;
      },
    );
  };
}

/** Asks a peer whether it holds a stream; a failed request, or any answer this app does not give, is `unreachable`. */
export async function askHolder(
  peerFetch: (machineId: string, path: string, opts: PeerFetch) => Promise<PeerResponse>,
  machineId: string,
  streamId: string,
): Promise<HolderAnswer> {
  try {
    const res = await peerFetch(machineId, `${HOLDER_PATH}${streamId}`, {
      timeoutMs: HOLDER_TIMEOUT_MS,
      maxResponseBytes: HOLDER_ANSWER_MAX_BYTES,
    });
    return readHolderAnswer(res, streamId);
  } catch {
    return 'unreachable';
  }
}
