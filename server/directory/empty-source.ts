import type { LocalStreamSource } from '../streams/source.ts';

/** A Machine with no streams: the directory's source until (or where) no stream relay is registered. */
export const emptyStreamSource: LocalStreamSource = {
  list: () => [],
  onChange: () => () => {},
};
