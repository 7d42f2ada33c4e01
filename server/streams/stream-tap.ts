import type { ServerToViewer } from '../../shared/protocol.ts';

/** The home has closed the stream here without a notice (it shut down): a going-away close follows. */
export interface GoneMessage {
  type: 'gone';
}

/** What a relay's viewers must hear besides frames: the home's own viewer messages, verbatim. */
export type TapControl = ServerToViewer | GoneMessage;

/**
 * Where a home mirrors a stream for the Machines relaying it (server/relayed/). Frames are the stored
 * wire bytes, handed over once each whatever the number of relays.
 */
export interface StreamTap {
  frame(data: Uint8Array): void;
  control(message: TapControl): void;
}
