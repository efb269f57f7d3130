/**
 * kube-apiserver's way into the simulated cluster network (upstream mode): an HTTP CONNECT proxy on a Unix socket,
 * configured as the `cluster` egress selection (control-plane.ts), as konnectivity serves real clusters whose control
 * plane cannot reach the pod network. kube-apiserver dials through it for admission webhooks, the kubelets (logs,
 * port-forward) and the `proxy` subresources of pods and Services (which it resolves to an endpoint itself).
 *
 * `CONNECT <address>:<port>`:
 * - an endpoint of a Service whose webhook the simulator serves (AdmissionPlugin.endpoint) goes to the webhook server
 *   (admission-webhooks.ts): the pod "serves" the webhook while it is a ready endpoint, as on a real cluster;
 * - anything else is dialled on the node network: a pod's cluster address maps to its loopback address
 *   (SimNetwork.dialAddressOf), a node's or load balancer's is its own.
 * A failed dial answers 503, which kube-apiserver reports as `proxy error ... while dialing <address>, code 503`.
 */
import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { KubeObject, ObjectStore, SimNetwork } from '../cluster/types.ts';

export interface ClusterEgress {
  socket: string;
  close(): Promise<void>;
}

export interface ClusterEgressOptions {
  /** Path of the Unix socket to listen on. */
  socket: string;
  network: Pick<SimNetwork, 'dialAddressOf'>;
  /** The store to read Endpoints from (late-bound: the proxy starts before the API server, the store after it). */
  store: () => ObjectStore | undefined;
  /** The webhook server (late-bound too). */
  webhooks: () => { servesService(namespace: string, service: string): boolean; port: number } | undefined;
  log?: (line: string) => void;
}

/** Whether ip:port is a ready endpoint of a Service whose webhook the simulator serves. */
function isWebhookEndpoint(store: ObjectStore, webhooks: NonNullable<ReturnType<ClusterEgressOptions['webhooks']>>, ip: string, port: number): boolean {
  const type = store.types.byKind('Endpoints', 'v1');
  if (!type) return false;
  return store.list(type).items.some((ep: KubeObject) => {
    if (!webhooks.servesService(ep.metadata.namespace ?? '', ep.metadata.name ?? '')) return false;
    const subsets = (ep.subsets as { addresses?: { ip?: string }[]; ports?: { port?: number }[] }[] | undefined) ?? [];
    return subsets.some((s) => (s.addresses ?? []).some((a) => a.ip === ip) && (s.ports ?? []).some((p) => p.port === port));
  });
}

export async function startClusterEgress(opts: ClusterEgressOptions): Promise<ClusterEgress> {
  await mkdir(dirname(opts.socket), { recursive: true });
  await rm(opts.socket, { force: true });
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  const sockets = new Set<Duplex>();
  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const target = req.url ?? '';
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(target.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port) || port <= 0) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const store = opts.store();
    const webhooks = opts.webhooks();
    const toWebhooks = store && webhooks && isWebhookEndpoint(store, webhooks, host, port);
    const dial = toWebhooks ? { host: '127.0.0.1', port: webhooks.port } : { host: opts.network.dialAddressOf(host), port };
    const upstream = net.connect(dial);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (!connected) {
        opts.log?.(`cluster egress: dial ${target} (${dial.host}:${dial.port}) failed: ${error.code ?? error.message}`);
        client.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      } else {
        client.destroy();
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socket, () => resolve());
  });
  return {
    socket: opts.socket,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
