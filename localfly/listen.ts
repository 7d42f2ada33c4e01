import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';

/** A problem the user can fix (a port in use, a bad flag, a Machine that would not start): one clear line. */
export class LocalflyError extends Error {
  override name = 'LocalflyError';
}

function explain(err: unknown, what: string, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new LocalflyError(
      `${what}: ${host}:${port} is already in use; stop whatever holds it or choose another port`,
    );
  if (code === 'EADDRNOTAVAIL') return new LocalflyError(`${what}: cannot use address ${host} on this machine`);
  if (code === 'EACCES') return new LocalflyError(`${what}: no permission to listen on ${host}:${port}`);
  return err as Error;
}

/** Listens on host:port (0 = any free port) and resolves with the real port; errors become LocalflyError. */
export function listenTcp(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown) => reject(explain(err, what, host, port));
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

export function bindUdp(socket: UdpSocket, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown) => reject(explain(err, what, host, port));
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket.address().port);
    });
  });
}
