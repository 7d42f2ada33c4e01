import { isIP } from 'node:net';
import { isSpecificAddress, normalizeAddress } from '../directory/address.ts';

/** Where the embedded nats-server listens. */
export interface BindHosts {
  /** Client and monitoring ports: only this Machine's app connects, so loopback unless HOST names one address. */
  local: string;
  /** Routes and gateways: the Machine's private (6PN) address, which its peers dial; null off Fly. */
  peer: string | null;
}

/**
 * Picks the listen addresses, never a wildcard: a public interface must not carry NATS. On Fly HOST is
 * `::`, so clients use loopback (each Machine is its own VM) and peers use FLY_PRIVATE_IP. Under
 * localfly HOST is the Machine's own 127.x address and FLY_PRIVATE_IP its mapped form, so several
 * Machines on one host can share the same port numbers.
 */
export function bindHosts(host: string, privateIp: string | null): BindHosts {
  const local = isSpecificAddress(host) ? normalizeAddress(host) : '127.0.0.1';
  if (privateIp === null || isIP(privateIp) === 0) return { local, peer: null };
  const peer = normalizeAddress(privateIp);
  return { local, peer: isSpecificAddress(peer) ? peer : null };
}

/** `host:port`, with brackets around an IPv6 literal. */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A nats URL with user and password (which must already be URL-safe: config.ts checks RELAY_SECRET). */
export function authUrl(scheme: 'nats' | 'nats-route', user: string, password: string, host: string, port: number) {
  return `${scheme}://${user}:${password}@${hostPort(host, port)}`;
}

/** A URL for logs: any `user:password@` is replaced, so NATS_URL credentials never reach a log line. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/\s,]*@/g, '//[redacted]@');
}
