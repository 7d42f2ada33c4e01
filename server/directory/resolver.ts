import { promises as dns } from 'node:dns';

/** The two DNS questions the directory asks; tests substitute an in-memory table. */
export interface DirectoryResolver {
  /** Each record as its list of character-strings, as Node's `resolveTxt` gives it. */
  resolveTxt(name: string): Promise<string[][]>;
  resolve6(name: string): Promise<string[]>;
}

/**
 * Node's c-ares resolver: the system's (on Fly, /etc/resolv.conf points at fdaa::3), or the one server in
 * FLY_DNS_SERVER (localfly). Bounded per try so a dead DNS server fails a round rather than hanging it.
 */
export function nodeResolver(dnsServer: string | null, timeoutMs: number, tries: number): DirectoryResolver {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries });
  if (dnsServer !== null) resolver.setServers([dnsServer]);
  return {
    resolveTxt: (name) => resolver.resolveTxt(name),
    resolve6: (name) => resolver.resolve6(name),
  };
}

/** The same questions, each counted as it is asked (for stats()). */
export function countingResolver(resolver: DirectoryResolver, onQuery: () => void): DirectoryResolver {
  return {
    resolveTxt: async (name) => {
      onQuery();
      return resolver.resolveTxt(name);
    },
    resolve6: async (name) => {
      onQuery();
      return resolver.resolve6(name);
    },
  };
}
