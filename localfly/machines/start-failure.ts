import type { Exit } from './process.ts';
import type { Readiness } from './readiness.ts';

export function describeExit(exit: Exit): string {
  if (exit.error !== undefined) return `could not run: ${exit.error}`;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** Why a start failed: the process ended (or never ran), or the readiness check gave up. */
export type StartFailure = { kind: 'exit'; exit: Exit } | Exclude<Readiness, { kind: 'ready' } | { kind: 'exited' }>;

export interface StartFailureFacts {
  id: string;
  region: string;
  /** `[fdaa:..]:8080` or `127.0.0.2:8080`. */
  where: string;
  command: readonly string[];
  /** The Machine's last output lines. */
  tail: readonly string[];
  startTimeoutMs: number;
}

/** The one message that explains a failed start, with the command and the Machine's last output. */
export function startFailureMessage(f: StartFailureFacts, failure: StartFailure): string {
  const subject = `Machine ${f.id} (${f.region})`;
  let text: string;
  switch (failure.kind) {
    case 'exit':
      text = `${subject} ${describeExit(failure.exit)} before listening on ${f.where}`;
      break;
    case 'timeout':
      text = `${subject} did not listen on ${f.where} within ${f.startTimeoutMs} ms`;
      break;
    case 'unreachable':
      text = `${subject} cannot be reached: ${failure.message}`;
      break;
    case 'refused':
      text = `refused: ${failure.message}`;
  }
  const tail = f.tail.length > 0 ? `\n  last output:\n${f.tail.map((l) => `    ${l}`).join('\n')}` : '';
  return `${text}; command: ${f.command.join(' ')}${tail}`;
}
