/**
 * The go-live page's two HTTP calls: `POST /api/streams` on whatever Machine answers (it becomes the
 * stream's home), and a later `GET /api/whoami` pinned to that Machine. Answers are checked before use.
 */
import { isObject } from '../../../../shared/guards.ts';
import { homeHeaders } from '../../lib/publish-logic.ts';

/** What `POST /api/streams` answered. */
export interface CreatedStream {
  id: string;
  machineId: string | null;
  region: string | null;
  publishToken: string;
  watchUrl: string;
}

const nullableText = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** The body of a `201` from `POST /api/streams`; null when it is not one. */
export function parseCreated(body: unknown): CreatedStream | null {
  if (!isObject(body)) return null;
  const { id, publishToken, watchUrl, machineId, region } = body;
  if (
    typeof id !== 'string' ||
    typeof publishToken !== 'string' ||
    typeof watchUrl !== 'string' ||
    !nullableText(machineId) ||
    !nullableText(region)
  ) {
    return null;
  }
  return { id, publishToken, watchUrl, machineId, region };
}

/** What the form says when the server refused: its `{"error"}` reason, else the status. */
export function refusalText(status: number, body: unknown): string {
  const reason = isObject(body) && typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  return `The stream could not be created: ${reason}.`;
}

/** The new stream, or a sentence for the form saying why there is none. */
export async function createStream(title: string, creator: string): Promise<CreatedStream | string> {
  let res: Response;
  try {
    res = await fetch('/api/streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ title, creator }),
    });
  } catch {
    return 'Could not reach the server. Check your connection and try again.';
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 201) return parseCreated(body) ?? 'The server gave an unexpected answer.';
  return refusalText(res.status, body);
}

/** Which Machine answered a request pinned to the home Machine. */
export interface Confirmation {
  machineId: string | null;
  region: string | null;
}

/** A later fetch to the home Machine, pinned with fly-force-instance-id (no replay hop). */
export async function confirmHome(machineId: string | null): Promise<Confirmation | null> {
  try {
    const res = await fetch('/api/whoami', { headers: homeHeaders(machineId) });
    return res.ok ? ((await res.json()) as Confirmation) : null;
  } catch {
    return null;
  }
}
