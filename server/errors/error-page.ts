import { createHash } from 'node:crypto';

/** The error page's only style, inline (no request for a stylesheet that might itself fail). */
const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;background:#0e0e12;color:#ececf1;display:grid;place-items:center;min-height:100vh;margin:0}main{max-width:32rem;padding:2rem}a{color:#9ecbff}';

/**
 * The error page's Content-Security-Policy: nothing loads, no script runs, the inline style is allowed
 * by its hash only, and no site may frame it.
 */
export const ERROR_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * An error on a page URL (a hand-edited or truncated `?instance=` link, a malformed path) is shown to
 * a person, so it gets a small readable page instead of raw JSON. The message is ours, never request input.
 */
export function errorPage(status: number, message: string): string {
  const text = message.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const heading = status >= 500 ? 'Something went wrong' : 'This link does not work';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} - replaycast</title>
<style>${STYLE}</style>
</head><body><main><h1>${heading}</h1><p role="alert">${text}</p><p><a href="/">See the live streams</a></p></main></body></html>
`;
}
