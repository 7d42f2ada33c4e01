/**
 * First step of `npm test`: the suite needs nats-server (as it needs Chromium), so a machine without
 * it fails at once with one line saying what to install, instead of many failures later.
 */
import { requireNatsServer } from './nats.ts';

try {
  requireNatsServer();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
