import { isRegionCode } from '../../shared/region.ts';

/** What the server writes on `<body>` so the page knows, without a request, which Machine served it. */
export interface BodyAttributes {
  machineId: string | null;
  region: string | null;
  /** Fly's `fly-region` request header: the edge that accepted the connection. */
  edgeRegion: string | null;
}

/** The page split around its `<body>` tag, found once at start-up so each request is a concatenation. */
export interface PageTemplate {
  before: string;
  /** Attributes the built `<body>` tag already had (with their leading space), kept as they were. */
  bodyAttributes: string;
  after: string;
}

const BODY_TAG = /<body\b([^>]*)>/i;

export class TemplateError extends Error {}

export function parseTemplate(html: string): PageTemplate {
  const match = BODY_TAG.exec(html);
  if (match === null) throw new TemplateError('the built index.html has no <body> tag');
  return {
    before: html.slice(0, match.index),
    bodyAttributes: match[1]!.replace(/\/\s*$/, ''),
    after: html.slice(match.index + match[0].length),
  };
}

export function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The `fly-region` header as sent by the proxy, or null when absent or not a region code. */
export function edgeRegionFrom(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  return isRegionCode(value) ? value : null;
}

export function renderPage(template: PageTemplate, attrs: BodyAttributes): string {
  let tag = `<body${template.bodyAttributes} data-instance="${escapeAttribute(attrs.machineId ?? '')}" data-region="${escapeAttribute(attrs.region ?? '')}"`;
  if (attrs.edgeRegion !== null) tag += ` data-edge-region="${escapeAttribute(attrs.edgeRegion)}"`;
  return `${template.before}${tag}>${template.after}`;
}
