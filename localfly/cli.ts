import { parseCliArgs, USAGE } from './cli-args.ts';
import { type Cluster, LocalflyError, startCluster } from './cluster.ts';
import { formatLogEvent, machinePrefix, paint } from './log/format.ts';
import { hostPort } from './machines/addresses.ts';

/**
 * One Ctrl-C often arrives more than once: the terminal signals the whole foreground group and
 * wrappers (npm, tsx) relay it too. Repeats within this window are the same Ctrl-C.
 */
const REPEATED_SIGNAL_WINDOW_MS = 1000;

/**
 * `localfly [options] -- <command>`: runs a local Fly-like cluster until Ctrl-C (SIGINT) or
 * SIGTERM, then stops every Machine (gracefully, bounded) and exits; a second signal kills them.
 */
async function main(): Promise<number> {
  const parsed = parseCliArgs(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`localfly: ${parsed.message}\n\n${USAGE}\n`);
    return 2;
  }
  const { options, color } = parsed;
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const bold = (text: string) => paint(text, 1, color);

  const aborter = new AbortController();
  let cluster: Cluster | undefined;
  let signals = 0;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signals > 0 && Date.now() - firstSignalAt < REPEATED_SIGNAL_WINDOW_MS) return;
    signals++;
    if (signals > 1) {
      // The 'exit' hook of the cluster SIGKILLs every Machine's process group.
      print(`localfly: ${signal} again: killing every Machine now`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    print(`localfly: ${signal}: stopping every Machine (press Ctrl-C again to kill them at once)`);
    if (cluster === undefined) aborter.abort();
    else
      cluster.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    cluster = await startCluster({
      ...options,
      signal: aborter.signal,
      onLog: (event) => print(formatLogEvent(event, color)),
      onListening: ({ app, edges, dns, controlUrl, network }) => {
        const [dnsHost, dnsPort] = [dns.slice(0, dns.lastIndexOf(':')), dns.slice(dns.lastIndexOf(':') + 1)];
        print(bold(`localfly: app ${app}`));
        for (const [region, url] of Object.entries(edges)) print(`  edge ${region.padEnd(6)} ${url}`);
        print(`  DNS         ${dns}   (dig @${dnsHost} -p ${dnsPort} TXT vms.${app}.internal +short)`);
        print(`  control     ${controlUrl}   (GET /machines, POST /machines/<id>/stop|start|kill|restart, GET /stats)`);
        print(`  network     ${network.summary}`);
      },
    });
  } catch (err) {
    if (signals > 0) return 130;
    if (err instanceof LocalflyError) {
      process.stderr.write(`localfly: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const machines = cluster.machines();
  print(bold(`localfly: ${machines.length} Machine${machines.length === 1 ? '' : 's'} started; Ctrl-C stops them all`));
  for (const m of machines)
    print(
      `  ${machinePrefix(m, color)}  ${hostPort(m.address, m.port)}${m.netns ? `  netns ${m.netns}` : ''}  pid ${m.pid}`,
    );
  // Keep running until a signal; the cluster's servers keep the event loop alive.
  return new Promise<number>(() => undefined);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`localfly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
