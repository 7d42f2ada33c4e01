import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCliArgs } from './cli-args.ts';

test('flags, --flag=value, repeated --env, the command after --', () => {
  const parsed = parseCliArgs(
    [
      '--regions',
      'ams:1,dfw:2',
      '--app=demo',
      '--dns-port',
      '0',
      '--edge-port',
      '9000',
      '--control-port',
      '9090',
      '--address-base',
      '127.0.21.2',
      '--machine-port',
      '3000',
      '--env',
      'DEMO_STREAMS=1',
      '--env',
      'A=b=c',
      '--start-timeout-ms',
      '5000',
      '--network=loopback',
      '--secret',
      'RELAY_SECRET',
      '--secret=OTHER',
      '--',
      'node',
      'server.js',
      '--port',
      '1',
    ],
    {},
    false,
  );
  assert.deepEqual(parsed, {
    kind: 'run',
    color: false,
    options: {
      regions: 'ams:1,dfw:2',
      app: 'demo',
      dnsPort: 0,
      edgePort: 9000,
      controlPort: 9090,
      addressBase: '127.0.21.2',
      machinePort: 3000,
      startTimeoutMs: 5000,
      network: 'loopback',
      env: { DEMO_STREAMS: '1', A: 'b=c' },
      secrets: ['RELAY_SECRET', 'OTHER'],
      command: ['node', 'server.js', '--port', '1'],
    },
  });
});

test('environment variables fill in what flags do not give; flags win', () => {
  const parsed = parseCliArgs(
    ['--dns-port', '1', 'tsx', 'server/main.ts'],
    {
      LOCALFLY_REGIONS: 'syd',
      LOCALFLY_DNS_PORT: '2',
      LOCALFLY_CONTROL_PORT: '3',
      LOCALFLY_APP: '',
      LOCALFLY_NETWORK: 'netns',
    },
    false,
  );
  assert.deepEqual(parsed, {
    kind: 'run',
    color: false,
    options: { dnsPort: 1, regions: 'syd', controlPort: 3, network: 'netns', command: ['tsx', 'server/main.ts'] },
  });
});

test('colours: terminal unless NO_COLOR; FORCE_COLOR; flags win', () => {
  const color = (argv: string[], env: Record<string, string>, tty: boolean) => {
    const p = parseCliArgs([...argv, '--', 'x'], env, tty);
    return p.kind === 'run' ? p.color : null;
  };
  assert.equal(color([], {}, true), true);
  assert.equal(color([], {}, false), false);
  assert.equal(color([], { NO_COLOR: '1' }, true), false);
  assert.equal(color([], { FORCE_COLOR: '1' }, false), true);
  assert.equal(color(['--no-color'], {}, true), false);
  assert.equal(color(['--color'], {}, false), true);
});

test('errors and help', () => {
  const rows: Array<[string[], Record<string, string>, RegExp]> = [
    [['--'], {}, /no command/],
    [[], {}, /no command/],
    [['--bogus', '--', 'x'], {}, /unknown option --bogus/],
    [['--dns-port'], {}, /--dns-port needs a value/],
    [['--dns-port', 'abc', '--', 'x'], {}, /whole number/],
    [['--edge-port', '70000', '--', 'x'], {}, /0-65535/],
    [['--stop-timeout-ms', '5', '--', 'x'], {}, /between 100 and 600000/],
    [['--env', 'no-equals', '--', 'x'], {}, /KEY=VALUE/],
    [['--network', 'host', '--', 'x'], {}, /--network must be one of auto, netns, loopback, got "host"/],
    [['--', 'x'], { LOCALFLY_NETWORK: 'ns' }, /LOCALFLY_NETWORK must be one of auto, netns, loopback/],
    [['--secret', 'A=b', '--', 'x'], {}, /--secret takes a variable name/],
    [['--', 'x'], { LOCALFLY_EDGE_PORT: 'x' }, /LOCALFLY_EDGE_PORT must be a whole number/],
  ];
  for (const [argv, env, error] of rows) {
    const parsed = parseCliArgs(argv, env, false);
    assert.equal(parsed.kind, 'error', argv.join(' '));
    assert.match((parsed as { message: string }).message, error, argv.join(' '));
  }
  assert.deepEqual(parseCliArgs(['--regions', 'ams', '-h'], {}, false), { kind: 'help' });
});

test('deploy: the control port from the flag, the environment, or the default', () => {
  assert.deepEqual(parseCliArgs(['deploy'], {}, false), { kind: 'deploy', controlUrl: 'http://127.0.0.1:8090' });
  assert.deepEqual(parseCliArgs(['deploy', '--control-port', '18090'], {}, false), {
    kind: 'deploy',
    controlUrl: 'http://127.0.0.1:18090',
  });
  assert.deepEqual(parseCliArgs(['deploy', '--control-port=9'], { LOCALFLY_CONTROL_PORT: '7' }, false), {
    kind: 'deploy',
    controlUrl: 'http://127.0.0.1:9',
  });
  assert.deepEqual(parseCliArgs(['deploy'], { LOCALFLY_CONTROL_PORT: '7' }, false), {
    kind: 'deploy',
    controlUrl: 'http://127.0.0.1:7',
  });
  assert.deepEqual(parseCliArgs(['deploy', '--help'], {}, false), { kind: 'help' });
  for (const bad of [
    ['deploy', '--regions', 'ams:1'],
    ['deploy', '--control-port'],
    ['deploy', '--control-port', '70000'],
  ]) {
    const parsed = parseCliArgs(bad, {}, false);
    assert.equal(parsed.kind, 'error', bad.join(' '));
  }
});
