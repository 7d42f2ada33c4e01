/**
 * Pure decisions of the go-live page when its stream's home Machine goes away: whether a closed
 * publish socket means "resume the stream on another Machine", the body of that request, and what
 * its answer means.
 */
import { isObject } from '../../../shared/guards.ts';
import { isMachineId } from '../../../shared/machine-id.ts';
import { CloseCode, type StreamInfo } from '../../../shared/protocol.ts';
import { type PublishCloseAction, publishCloseAction } from './publish-logic.ts';

export type DropAction = PublishCloseAction | 'resume';

export interface DropContext {
  /** The server sent `move` before this close: its Machine is going away. */
  moveAsked: boolean;
  /** On Fly (the stream has a home Machine id) and a hello was received: there is a stream to resume. */
  canResume: boolean;
}

/**
 * A close after `move`, or a lost connection on Fly (the home may have crashed), resumes the stream on
 * whatever Machine answers (`POST /api/streams/<id>/resume`): the server says there whether the old home
 * still has it. Off Fly, or before the first hello, a lost connection reconnects to the same server.
 */
export function publishDropAction(code: number, ctx: DropContext): DropAction {
  const action = publishCloseAction(code);
  if (!ctx.canResume || action === 'ended' || action === 'replaced') return action;
  if (ctx.moveAsked && code === CloseCode.goingAway) return 'resume';
  return action === 'reconnect' ? 'resume' : action;
}

/** `POST /api/streams/<id>/resume`'s body: the token and what the page knows of its stream. */
export interface ResumeRequest {
  token: string;
  title: string;
  creator: string;
  startedAt: number;
  epoch: number;
  chatSeq: number;
}

export function resumeRequest(token: string, stream: StreamInfo, chatSeq: number): ResumeRequest {
  return {
    token,
    title: stream.title,
    creator: stream.creator,
    startedAt: stream.startedAt,
    epoch: stream.epoch,
    chatSeq,
  };
}

export type ResumeOutcome =
  /** Publish on this Machine: it took the stream over (200), or already has it (409 naming it). */
  | { kind: 'publish'; machineId: string; region: string | null }
  /** No Machine could take it now (a draining one, 5xx, the network): try again shortly. */
  | { kind: 'retry' }
  | { kind: 'fail'; message: string };

/** What an answer to the resume request means; `status` null when the request failed outright. */
export function resumeOutcome(status: number | null, body: unknown): ResumeOutcome {
  if (status === null || status >= 500 || status === 429) return { kind: 'retry' };
  const fields = isObject(body) ? body : {};
  const { machineId, region } = fields;
  if ((status === 200 || status === 409) && typeof machineId === 'string' && isMachineId(machineId)) {
    return { kind: 'publish', machineId, region: typeof region === 'string' ? region : null };
  }
  if (status === 401) {
    return {
      kind: 'fail',
      message:
        "The Machine hosting your stream went away, and no other Machine can take it over (it does not recognise the stream's token). Go live again to start a new one.",
    };
  }
  const reason = typeof fields.error === 'string' ? fields.error : `HTTP ${status}`;
  return { kind: 'fail', message: `Your stream could not move to another Machine: ${reason}.` };
}
