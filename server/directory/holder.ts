import { isObject } from '../../shared/guards.ts';
import type { PeerResponse } from './peer-client.ts';

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
