import net from 'node:net';

/** Bound on getting an answer from a Machine's port agent. */
export const DIAL_TIMEOUT_MS = 5000;

function failure(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * A TCP connection to a namespace-mode Machine's port, through its agent (see agent.mjs). Rejects
 * with the connection error's code (ECONNREFUSED when nothing listens, or when the agent is gone).
 * When the Machine spoke before the socket was handed over, the socket comes paused with those bytes
 * first in line: read it with pipe() or resume().
 */
export function dialMachine(agentSocket: string, timeoutMs = DIAL_TIMEOUT_MS): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(agentSocket);
    let settled = false;
    const fail = (code: string, message: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(failure(code, message));
    };
    const timer = setTimeout(() => fail('ETIMEDOUT', `no answer from the Machine within ${timeoutMs} ms`), timeoutMs);
    let answer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer[0] === 1) {
        settled = true;
        clearTimeout(timer);
        cleanup();
        // Whatever followed the byte already belongs to the Machine (one that speaks first). The socket
        // is still flowing with no listener now, so it is paused first, else the bytes put back would be
        // emitted to nobody before the caller attaches; pipe() (or resume()) starts it again.
        if (answer.length > 1) {
          socket.pause();
          socket.unshift(answer.subarray(1));
        }
        resolve(socket);
      }
    };
    const onEnd = () => {
      clearTimeout(timer);
      const code = answer[0] === 0 && answer.length > 1 ? answer.subarray(1).toString() : 'ECONNREFUSED';
      fail(code, `connect ${code} (Machine port, through its namespace agent)`);
    };
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // No agent socket (or nobody behind it): the Machine is not reachable, nothing was delivered.
      fail(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'ECONNREFUSED' : (err.code ?? 'EIO'), err.message);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
  });
}
