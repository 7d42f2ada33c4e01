/**
 * `POST /api/streams/<id>/resume` on whatever Machine answers (the routing hook ignores the cookie that
 * still names the old home): it takes the stream over, or names the Machine that still has it.
 */
import { type ResumeOutcome, type ResumeRequest, resumeOutcome } from '../../lib/resume-logic.ts';

/** A resume request that takes longer than this counts as failed (and is tried again). */
export const RESUME_TIMEOUT_MS = 5000;

export async function resumeStream(streamId: string, request: ResumeRequest): Promise<ResumeOutcome> {
  try {
    const res = await fetch(`/api/streams/${encodeURIComponent(streamId)}/resume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(RESUME_TIMEOUT_MS),
    });
    return resumeOutcome(res.status, await res.json().catch(() => null));
  } catch {
    return resumeOutcome(null, null);
  }
}
