/**
 * The watch page's routing proof: which Machine really serves the socket (from its hello), against
 * the stream's home, plus where the request entered Fly and which Machine served the page.
 */
export interface ProofInput {
  /** The Machine serving the watch socket, from the hello. */
  socketMachine: string | null;
  socketRegion: string | null;
  /** The socket's Machine relays the stream from its home over NATS (the hello's `relayed`). */
  relayed?: boolean;
  /** The stream's home, as the hello's stream metadata states it. */
  homeMachine: string | null;
  homeRegion: string | null;
  /** The home the page asked for (`?instance=` or the directory); null when it did not know. */
  requestedHome: string | null;
  /** `<body data-instance/data-region>`: the Machine that served the HTML. */
  pageMachine: string | null;
  pageRegion: string | null;
  /** `<body data-edge-region>`: the edge that accepted the request, when behind Fly's proxy. */
  edgeRegion: string | null;
}

export type Verdict = 'same-machine' | 'relayed' | 'different-machine' | 'local';

export interface Proof {
  verdict: Verdict;
  /** One line a viewer reads first. */
  headline: string;
  /** Label/value rows for the details list. */
  rows: Array<[string, string]>;
  /** The request entered Fly in one region and was replayed to another. */
  replayedAcrossRegions: boolean;
}

const where = (machine: string | null, region: string | null) =>
  machine === null ? 'this server (not on Fly)' : region === null ? machine : `${machine} (${region})`;

export function routingProof(input: ProofInput): Proof {
  const { socketMachine, homeMachine } = input;
  let verdict: Verdict;
  let headline: string;
  if (socketMachine === null && homeMachine === null) {
    verdict = 'local';
    headline = 'served locally: not running on Fly, so there is only one Machine';
  } else if (socketMachine !== null && socketMachine === homeMachine) {
    verdict = 'same-machine';
    headline = `served by ${where(socketMachine, input.socketRegion)} - same Machine as the creator`;
  } else if (input.relayed === true && socketMachine !== null && homeMachine !== null) {
    verdict = 'relayed';
    headline = `relayed by ${where(socketMachine, input.socketRegion)} from home ${where(homeMachine, input.homeRegion)}`;
  } else {
    verdict = 'different-machine';
    headline = `served by ${where(socketMachine, input.socketRegion)} - NOT the creator's Machine ${where(homeMachine, input.homeRegion)}`;
  }

  const rows: Array<[string, string]> = [
    ['Stream home', where(homeMachine, input.homeRegion)],
    ['Video socket served by', where(socketMachine, input.socketRegion)],
    ['Page served by', where(input.pageMachine, input.pageRegion)],
    ['Entered Fly at edge', input.edgeRegion ?? "unknown (not behind Fly's proxy)"],
  ];
  if (input.requestedHome !== null && input.requestedHome !== homeMachine) {
    rows.push(['Link asked for', input.requestedHome]);
  }
  const replayedAcrossRegions =
    input.edgeRegion !== null && input.homeRegion !== null && input.edgeRegion !== input.homeRegion;
  return { verdict, headline, rows, replayedAcrossRegions };
}
