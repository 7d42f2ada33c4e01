// The port agent of one Machine in namespace mode, started inside its network namespace with
// `ip netns exec`. Fly's proxy reaches a Machine over IPv4, so an app bound to 0.0.0.0 is served;
// the host cannot route to a namespace's IPv4 (only the namespaces' private IPv6 is bridged), so
// the edges go through this agent. argv: <unix socket path> <port>. On each connection to the
// socket the agent connects to 127.0.0.1:<port> in the namespace, answers one byte (1: connected;
// 0 followed by the error code: refused) and then joins the two connections.
import { rmSync } from 'node:fs';
import net from 'node:net';

const [path, portText] = process.argv.slice(2);
const port = Number(portText);
if (path === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: agent.mjs <socket path> <port>\n');
  process.exit(2);
}

const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port });
  let joined = false;
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  client.on('close', close);
  upstream.once('connect', () => {
    joined = true;
    client.write(Buffer.from([1]));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on('error', (err) => {
    if (joined) close();
    else client.end(Buffer.concat([Buffer.from([0]), Buffer.from(err.code ?? 'ECONNREFUSED')]));
  });
  upstream.on('close', () => {
    if (joined) close();
  });
});
rmSync(path, { force: true });
server.listen(path, () => process.stdout.write('ready\n'));
