/**
 * The files `ip netns exec` mounts over /etc inside a Machine's namespace, so that the system
 * resolver (glibc, c-ares) asks localfly's DNS, as a Fly Machine asks fdaa::3.
 */

/** /etc/resolv.conf of a Machine: one nameserver, localfly's DNS on the bridge (port 53). */
export function resolvConf(dnsAddress: string): string {
  return `# localfly: .internal names, as fdaa::3 on Fly\nnameserver ${dnsAddress}\n`;
}

/** /etc/hosts of a Machine, as on Fly: localhost, its 6PN address as `fly-local-6pn` and as its id. */
export function hostsFile(privateIp: string, machineId: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${privateIp}\tfly-local-6pn`,
    `${privateIp}\t${machineId}`,
    '',
  ].join('\n');
}

/**
 * The host's /etc/nsswitch.conf with host lookups reduced to `files dns` (as in Fly's images):
 * modules such as `resolve` (systemd-resolved) or `mdns` would bypass the namespace's resolv.conf.
 * Null when nothing needs changing.
 */
export function nsswitchConf(host: string): string | null {
  const lines = host.split('\n');
  let changed = false;
  const out = lines.map((line) => {
    const m = /^(\s*hosts:\s*)(.*)$/.exec(line);
    if (m === null || m[2]!.trim() === 'files dns') return line;
    changed = true;
    return `${m[1]}files dns`;
  });
  return changed ? out.join('\n') : null;
}
