/**
 * The kubelet's HTTPS API on each simulated node (upstream mode), which kube-apiserver calls for `kubectl logs` and
 * `kubectl port-forward` (pods/log and pods/portforward are served by the kubelet on a real cluster): it listens on the
 * node's InternalIP at its `daemonEndpoints.kubeletEndpoint.Port` (10250), reached through the cluster egress.
 *
 * - `GET /containerLogs/<ns>/<pod>/<container>?tailLines=&previous=`: the container's log as text, or the kubelet's 400
 *   for a container that never started (`container "x" in pod "y" is waiting to start: <reason>`).
 * - `/portForward/<ns>/<pod>[/<uid>]`: the same port-forward the embedded API server serves (node/api-proxy.ts), SPDY or
 *   the WebSocket channel protocol (`?port=P`, the name kube-apiserver passes the client's `ports` on under); kube-apiserver
 *   itself translates kubectl's SPDY-over-WebSocket into SPDY.
 * Nothing else (exec, attach, stats) is served: 404.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeObject, LogSource, ObjectStore, StoreEvent } from '../cluster/types.ts';
import type { Kubelet } from '../node/kubelet.ts';
import { createPodPortForward } from '../node/api-proxy.ts';
import { listenOn } from '../node/network.ts';
import { signLeaf } from './pki.ts';
import type { KeyPair } from './pki.ts';

type ContainerStatusLike = { name: string; state?: { running?: unknown; terminated?: unknown; waiting?: { reason?: string } }; lastState?: { terminated?: unknown } };

export interface KubeletServers {
  close(): Promise<void>;
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function serveLogs(store: ObjectStore, logs: LogSource, res: ServerResponse, parts: string[], query: URLSearchParams): void {
  const [namespace = '', name = '', container = ''] = parts.map(decodeURIComponent);
  const podType = store.types.byKind('Pod', 'v1');
  const pod = podType ? store.get(podType, namespace, name) : undefined;
  if (!pod) {
    text(res, 404, `pod "${name}" not found`);
    return;
  }
  const tail = query.get('tailLines');
  const previous = query.get('previous') === 'true';
  const log = logs.logs(namespace, name, container, { ...(tail !== null ? { tailLines: Number(tail) } : {}), previous });
  if (log !== undefined) {
    text(res, 200, log);
    return;
  }
  const status = (pod.status ?? {}) as { initContainerStatuses?: ContainerStatusLike[]; containerStatuses?: ContainerStatusLike[] };
  const cs = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].find((s) => s.name === container);
  if (previous) {
    if (cs?.lastState?.terminated) text(res, 200, '');
    else text(res, 400, `previous terminated container "${container}" in pod "${name}" not found`);
  } else if (cs?.state?.running || cs?.state?.terminated) {
    text(res, 200, '');
  } else {
    text(res, 400, `container "${container}" in pod "${name}" is waiting to start: ${cs?.state?.waiting?.reason ?? 'ContainerCreating'}`);
  }
}

/** Serves the kubelet API on every node's InternalIP, for nodes present and future. */
export function startKubeletServers(opts: { store: ObjectStore; kubelet: Pick<Kubelet, 'logs' | 'localEndpoint'>; ca: KeyPair; log?: (line: string) => void }): KubeletServers {
  const servers = new Map<string, Promise<https.Server | undefined>>();
  const portForward = createPodPortForward({ kubelet: opts.kubelet, spdyOverWebSocket: false, queryParameter: 'port' });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === 'containerLogs' && parts.length === 4 && req.method === 'GET') {
      serveLogs(opts.store, opts.kubelet.logs, res, parts.slice(1), url.searchParams);
      return;
    }
    if (parts[0] === 'healthz') {
      text(res, 200, 'ok');
      return;
    }
    text(res, 404, '404 page not found');
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const parts = new URL(req.url ?? '/', 'https://kubelet').pathname.split('/').filter(Boolean);
    if (parts[0] !== 'portForward' || parts.length < 3) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    portForward(req, socket, head, { kind: 'pod', namespace: decodeURIComponent(parts[1]!), name: decodeURIComponent(parts[2]!), path: '' });
  };

  const serve = (address: string, port: number): void => {
    const key = `${address}:${port}`;
    if (servers.has(key)) return;
    servers.set(key, (async () => {
      const pair = await signLeaf(opts.ca, 'kubelet', { hosts: [address] });
      const server = https.createServer({ cert: pair.cert, key: pair.key }, handle);
      server.on('upgrade', upgrade);
      try {
        await listenOn(server, address, port);
        return server;
      } catch (error) {
        opts.log?.(`kubelet API on ${key} could not listen: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    })());
  };

  const onNode = (node: KubeObject): void => {
    const status = (node.status ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
    const address = status.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
    if (address && port) serve(address, port);
  };
  const nodeType = opts.store.types.byKind('Node', 'v1');
  const unsubscribe = opts.store.onChange((e: StoreEvent) => {
    if (e.type !== 'DELETED' && e.resource.kind === 'Node' && e.resource.group === '') onNode(e.object);
  });
  if (nodeType) for (const node of opts.store.list(nodeType).items) onNode(node);

  return {
    async close() {
      unsubscribe();
      await Promise.all([...servers.values()].map(async (p) => {
        const server = await p;
        if (!server) return;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }));
    },
  };
}
