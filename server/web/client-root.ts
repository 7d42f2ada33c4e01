import { fileURLToPath } from 'node:url';

/**
 * Where Vite's output lives: `dist/client` from the source tree (run with tsx), or `../../client`
 * from the compiled `dist/server/web/` (the same folder once `npm run build` has run).
 */
export function defaultClientRoot(moduleUrl: string = import.meta.url): string {
  const compiled = moduleUrl.endsWith('.js');
  return fileURLToPath(new URL(compiled ? '../../client/' : '../../dist/client/', moduleUrl));
}
