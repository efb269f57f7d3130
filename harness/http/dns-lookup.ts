/**
 * Host name lookup through a given DNS server before the system's resolver: for an ingress whose address is an FQDN
 * the machine's resolver does not know (the simulated AKS cluster serves Application Gateway for Containers'
 * `*.alb.azure.com` names from a DNS server of its own). Names the server does not answer fall back to the system.
 */
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import { Resolver, lookup as systemLookup } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import type { Agent } from 'undici';
import { undici } from './undici.ts';

/** A `lookup` for sockets that asks `server` (A records) first, then the system resolver. */
export function lookupVia(server: string): LookupFunction {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([server]); // `127.0.0.1:5353`, `[::1]:53`
  return ((hostname: string, options: LookupOneOptions & { all?: boolean }, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    if (isIP(hostname)) {
      systemLookup(hostname, options, callback as never);
      return;
    }
    resolver.resolve4(hostname, (err, addresses) => {
      if (err || addresses.length === 0) {
        systemLookup(hostname, options, callback as never);
        return;
      }
      if (options.all) callback(null, addresses.map((address) => ({ address, family: 4 })));
      else callback(null, addresses[0] ?? '', 4);
    });
  }) as LookupFunction;
}

/** An undici dispatcher whose connections resolve host names through `server` first. */
export function dispatcherWithDns(server: string): Agent {
  return new (undici().Agent)({ connect: { lookup: lookupVia(server) } });
}
