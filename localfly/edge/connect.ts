import http from 'node:http';
import type { Duplex } from 'node:stream';
import { dialMachine } from '../network/dial.ts';
import type { MachineView } from '../types.ts';

type Callback = (err: Error | null, stream: Duplex) => void;

/** Request options that reach one Machine: its address and port, or (namespace mode) its port agent. */
export function machineTarget(machine: MachineView): http.RequestOptions & { localflyDial?: string } {
  return {
    host: machine.address,
    port: machine.port,
    ...(machine.dial !== undefined ? { localflyDial: machine.dial } : {}),
  };
}

function dial(path: string, callback: Callback): undefined {
  dialMachine(path).then(
    (socket) => callback(null, socket),
    (err: Error) => callback(err, undefined as never),
  );
  return undefined;
}

/** A keep-alive pool that connects to namespace-mode Machines through their port agents. */
export class MachineAgent extends http.Agent {
  override createConnection(
    options: http.ClientRequestArgs & { localflyDial?: string },
    callback?: Callback,
  ): Duplex | null | undefined {
    if (options.localflyDial !== undefined && callback !== undefined) return dial(options.localflyDial, callback);
    return super.createConnection(options, callback);
  }
}

/** Options for a request on a connection of its own (never pooled: a WebSocket handshake). */
export function unpooled(machine: MachineView): http.RequestOptions {
  const target = machineTarget(machine);
  if (target.localflyDial === undefined) return { ...target, agent: false };
  const path = target.localflyDial;
  return { host: target.host, port: target.port, createConnection: (_options, callback) => dial(path, callback) };
}
