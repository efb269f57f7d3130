/**
 * The simulated pod network: every simulator instance owns one 127.N.0.0/16 block (all of 127/8 is routed to
 * `lo` on Linux, so these addresses need no setup) and hands out one address per pod, node or load balancer.
 * Out-of-cluster peers get a virtual cluster address (the AKS Application Gateway's 10.225.0.4) that the mesh sees
 * instead of the loopback address their sockets really use.
 *
 * Pod addresses: `loopback` (the default) reports a pod's loopback address as its IP. `cluster` gives every pod a
 * cluster address in 10.244.0.0/16 (kind's pod subnet) that stands for its loopback address 127.N.a.b as 10.244.a.b:
 * kube-apiserver refuses loopback addresses in Endpoints and EndpointSlices (ValidateEndpointIP), so the upstream
 * control plane needs it. Whatever dials a pod or endpoint address read from the cluster maps it with dialAddressOf().
 */
import net from 'node:net';
import type { OutboundHandler, SimNetwork } from '../cluster/types.ts';

/** A SimNetwork that owns a loopback block until close(). */
export interface LoopbackNetwork extends SimNetwork {
  /** The block this instance owns, e.g. `127.42.0.0/16`. */
  readonly block: string;
  /** Who an allocated address belongs to (`pod:ns/name`, `node:name`), for diagnostics. */
  purposeOf(address: string): string | undefined;
  /** Gives the block back (closes the sentinel socket that claims it). */
  close(): Promise<void>;
}

/**
 * The sentinel that claims a block for one simulator instance: a listener on a fixed address and port of the
 * block. A second instance that picks the same block fails to bind it and picks another.
 */
const sentinelHost = (n: number): string => `127.${n}.255.254`;
const sentinelPort = 47_999;

/**
 * Claims a free 127.N.0.0/16 block (N in 2..250, picked at random and verified by binding) and returns the
 * network that allocates from it. Use one per simulator instance; close() it when the instance stops.
 */
export async function createNetwork(opts: { block?: number; podAddresses?: PodAddressing } = {}): Promise<LoopbackNetwork> {
  const candidates = opts.block !== undefined ? [opts.block] : shuffled(range(2, 250));
  for (const n of candidates) {
    const sentinel = await tryListen(sentinelHost(n), sentinelPort);
    if (sentinel) return new Network(n, sentinel, opts.podAddresses ?? 'loopback');
  }
  throw new Error(`no free loopback block: every 127.N.0.0/16 with N in 2..250 is claimed (sentinel port ${sentinelPort})`);
}

/** How pods are addressed (see the file comment). */
export type PodAddressing = 'loopback' | 'cluster';

/** The pod subnet of `cluster` addressing: 127.N.a.b stands for 10.244.a.b. */
const podSubnetPrefix = '10.244.';

class Network implements LoopbackNetwork {
  readonly block: string;
  private next = 1;
  private readonly purposes = new Map<string, string>();
  private readonly released: string[] = [];
  private readonly virtual = new Map<string, string>();
  private readonly outbound = new Map<string, OutboundHandler | 'refused'>();

  constructor(
    private readonly n: number,
    private readonly sentinel: net.Server,
    private readonly podAddresses: PodAddressing = 'loopback',
  ) {
    this.block = `127.${n}.0.0/16`;
  }

  allocate(purpose: string): string {
    // Fresh addresses first: reusing a just-released address would meet its TIME_WAIT sockets and stale endpoints.
    let address: string | undefined;
    while (this.next < 0xfe00) {
      const i = this.next++;
      const low = i & 0xff;
      if (low === 0 || low === 0xff) continue;
      address = `127.${this.n}.${i >> 8}.${low}`;
      break;
    }
    address ??= this.released.shift();
    if (!address) throw new Error(`loopback block ${this.block} is exhausted`);
    this.purposes.set(address, purpose);
    if (this.podAddresses === 'cluster' && purpose.startsWith('pod:')) {
      this.virtual.set(address, `${podSubnetPrefix}${address.split('.').slice(2).join('.')}`);
    }
    return address;
  }

  release(address: string): void {
    if (!this.purposes.delete(address)) return;
    this.virtual.delete(address);
    this.outbound.delete(address);
    this.released.push(address);
  }

  dialAddressOf(clusterAddress: string): string {
    const plain = clusterAddress.startsWith('::ffff:') ? clusterAddress.slice(7) : clusterAddress;
    // A pod address whose pod is gone still maps into the block (connection refused, as a dead pod IP answers),
    // never onto the host's real network.
    if (this.podAddresses === 'cluster' && plain.startsWith(podSubnetPrefix)) return `127.${this.n}.${plain.slice(podSubnetPrefix.length)}`;
    return plain;
  }

  mapVirtual(loopback: string, clusterAddress: string): void {
    this.virtual.set(loopback, clusterAddress);
  }

  setOutbound(podIP: string, handler: OutboundHandler | 'refused' | undefined): void {
    if (handler === undefined) this.outbound.delete(podIP);
    else this.outbound.set(podIP, handler);
  }

  outboundOf(podIP: string): OutboundHandler | 'refused' | undefined {
    return this.outbound.get(podIP);
  }

  clusterAddressOf(loopback: string): string {
    const plain = loopback.startsWith('::ffff:') ? loopback.slice(7) : loopback;
    return this.virtual.get(plain) ?? plain;
  }

  purposeOf(address: string): string | undefined {
    return this.purposes.get(address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.sentinel.close(() => resolve()));
  }
}

function tryListen(host: string, port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Binds `host:preferred`, or a free port on `host` when the preferred one cannot be bound (port 80 without
 * root, or taken). Use for listeners that model a hostPort or a load balancer's port 80.
 */
export async function listenWithFallback(server: net.Server, host: string, preferred: number): Promise<number> {
  const bound = await listenOn(server, host, preferred).then(() => true, () => false);
  if (!bound) await listenOn(server, host, 0);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error(`listener on ${host} has no TCP address`);
  return address.port;
}

/** Listens on host:port and resolves when bound; rejects with the bind error (EADDRINUSE, EACCES). */
export function listenOn(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

/** A port on `host` that is free right now, for a process that must be told its port before it binds. */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await listenOn(server, host, 0);
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error(`no free port on ${host}`);
  return address.port;
}
