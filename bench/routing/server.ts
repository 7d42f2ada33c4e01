import type { AddressInfo } from 'node:net';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';

/** One benchmark target: the app with (`hook`) or without (`bare`) the routing hook, on loopback. */
const variant = process.argv[2];
if (variant !== 'hook' && variant !== 'bare') throw new Error('usage: server.ts hook|bare');
const app = await buildApp(testConfig({ machine: { id: '0123456789abcd', region: 'ams' } }), {
  routing: variant === 'hook',
  prettyLogs: false,
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${(app.server.address() as AddressInfo).port}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
