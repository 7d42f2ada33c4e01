/**
 * What `POST /api/streams` accepts, shared so the go-live form checks the same rules the server does.
 * Lengths are in UTF-16 code units (what `<input maxlength>` counts), after trimming.
 */
import { isObject } from './guards.ts';
import type { Result } from './protocol.ts';

export const TITLE_MAX_CHARS = 100;
export const CREATOR_MAX_CHARS = 40;

/** Titles: any visible text; no control, private-use, lone-surrogate or line/paragraph separator chars. */
const TITLE_BAD_CHARS = /[\p{Cc}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/u;
/** Creator names: letters and digits, with inner spaces, `_`, `.` and `-`. */
const CREATOR_PATTERN = /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M} _.-]*[\p{L}\p{N}\p{M}_.])?$/u;

export interface NewStream {
  title: string;
  creator: string;
}

export function validateNewStream(body: unknown): Result<NewStream> {
  if (!isObject(body)) return { ok: false, error: 'the body must be a JSON object {"title", "creator"}' };
  const { title: rawTitle, creator: rawCreator } = body;
  if (typeof rawTitle !== 'string') return { ok: false, error: 'title must be a string' };
  if (typeof rawCreator !== 'string') return { ok: false, error: 'creator must be a string' };
  const error = titleProblem(rawTitle) ?? creatorProblem(rawCreator);
  if (error !== null) return { ok: false, error };
  return { ok: true, value: { title: rawTitle.trim(), creator: rawCreator.trim() } };
}

/** Why a title is refused (the reason names the field), or null; checked after trimming. */
export function titleProblem(raw: string): string | null {
  const title = raw.trim();
  if (title.length === 0 || title.length > TITLE_MAX_CHARS) return `title must be 1-${TITLE_MAX_CHARS} characters`;
  if (TITLE_BAD_CHARS.test(title)) return 'title must not contain control characters or line breaks';
  return null;
}

/** Why a creator name is refused (the reason names the field), or null; checked after trimming. */
export function creatorProblem(raw: string): string | null {
  const creator = raw.trim();
  if (creator.length === 0 || creator.length > CREATOR_MAX_CHARS)
    return `creator must be 1-${CREATOR_MAX_CHARS} characters`;
  if (!CREATOR_PATTERN.test(creator))
    return 'creator may contain letters, digits, spaces, "_", "." and "-", starting with a letter or digit';
  return null;
}
