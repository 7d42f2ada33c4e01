import type { MachineView } from '../types.ts';
import type { RouteContext } from './route-loop.ts';
import type { Choice } from './select.ts';

/** Why a chosen Machine cannot take the request: `timedOut` when its start outlasted the deadline. */
export interface NotReady {
  why: string;
  timedOut: boolean;
}

/**
 * The chosen Machine, started first if it was stopped; otherwise why it is not ready (gone, not
 * started by the deadline, or the first line of its start failure, as the launcher reported it).
 */
export async function ready(
  ctx: Pick<RouteContext<unknown>, 'upstreams' | 'events'>,
  choice: Choice,
  deadline: number,
): Promise<MachineView | NotReady> {
  const find = (id: string) => ctx.upstreams.machines().find((m) => m.id === id);
  const machine = find(choice.id);
  if (machine === undefined) return { why: 'it no longer exists', timedOut: false };
  if (machine.state === 'started') return machine;
  ctx.events?.autoStart?.(machine);
  const starting = ctx.upstreams.start(choice.id);
  // The start goes on even if this request stops waiting; its failure is reported by the launcher.
  starting.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const waitMs = Math.max(0, deadline - Date.now());
  const outcome = await Promise.race([
    starting.then(
      () => null,
      (err: unknown): NotReady => ({
        why: (err instanceof Error ? err.message : String(err)).split('\n')[0]!,
        timedOut: false,
      }),
    ),
    new Promise<NotReady>(
      (resolve) =>
        (timer = setTimeout(() => resolve({ why: `it did not start within ${waitMs} ms`, timedOut: true }), waitMs)),
    ),
  ]);
  clearTimeout(timer);
  const now = find(choice.id);
  if (outcome !== null) return outcome;
  return now?.state === 'started' ? now : { why: 'it stopped again while starting', timedOut: false };
}
