/**
 * A LoadBalancer provider outside the cluster, as MetalLB is on kind (istio.md §8) and the Azure load balancer on
 * AKS: every Service of type LoadBalancer gets an address of its own from the simulated network (127.N.x.y; MetalLB
 * would hand out one of the kind network's pool, Azure a public IP), written to `status.loadBalancer.ingress[0]`
 * (`ipMode: VIP`), and each of its ports is forwarded at L4 to a ready endpoint (round robin), as kube-proxy would
 * take it from there. The hook `withholdLoadBalancerAddress` leaves every such Service `<pending>`.
 */
import net from 'node:net';
import type { KubeObject, ObjectStore, SimNetwork, StoreEvent } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import { arr, num, obj, spec, status, str } from '../controllers/kube-objects.ts';
import type { IngressHooks } from '../hooks.ts';
import { idleContainer } from '../node/container.ts';
import { imageRepository } from '../node/images.ts';
import { nodeKinds } from '../node/kinds.ts';
import { listenOn } from '../node/network.ts';
import { resolveUpstreams } from './routing.ts';

interface Balanced {
  uid: string;
  address: string;
  servers: Map<number, net.Server>;
}

export interface LoadBalancerProvider {
  stop(): Promise<void>;
}

/** Starts the provider; use once per simulator instance. */
export function startLoadBalancerProvider(opts: { store: ObjectStore; network: SimNetwork; hooks: IngressHooks; log?: (line: string) => void }): LoadBalancerProvider {
  const { store, network } = opts;
  const kinds = nodeKinds(store);
  const balanced = new Map<string, Balanced>();
  const rr = new Map<string, number>();
  let stopped = false;

  const forward = (svc: { namespace: string; name: string }, port: Record<string, unknown>) => (client: net.Socket): void => {
    const ups = resolveUpstreams(store, kinds, { namespace: svc.namespace, ingress: '', service: svc.name, port: num(port['port']) ?? 0 }) ?? [];
    const key = `${svc.namespace}/${svc.name}:${String(port['port'])}`;
    const i = (rr.get(key) ?? 0) % Math.max(1, ups.length);
    rr.set(key, i + 1);
    const target = ups[i];
    if (!target) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: network.dialAddressOf(target.ip), port: target.port });
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', () => client.resetAndDestroy());
    client.on('close', close);
    upstream.on('close', () => client.end());
  };

  const release = async (key: string): Promise<void> => {
    const b = balanced.get(key);
    if (!b) return;
    balanced.delete(key);
    await Promise.all([...b.servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    network.release(b.address);
  };

  const sync = async (svc: KubeObject): Promise<void> => {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    if (stopped) return;
    if (svc.metadata.deletionTimestamp || str(spec(svc)['type']) !== 'LoadBalancer' || opts.hooks.withholdLoadBalancerAddress) {
      await release(key);
      return;
    }
    let b = balanced.get(key);
    if (b && b.uid !== svc.metadata.uid) {
      await release(key);
      b = undefined;
    }
    if (!b) {
      b = { uid: svc.metadata.uid ?? '', address: network.allocate(`lb:${key}`), servers: new Map() };
      balanced.set(key, b);
    }
    const ports = arr(spec(svc)['ports']).filter((p) => (str(p['protocol']) ?? 'TCP') === 'TCP');
    const wanted = new Set(ports.map((p) => num(p['port']) ?? 0));
    for (const [port, server] of b.servers) {
      if (!wanted.has(port)) {
        b.servers.delete(port);
        server.close();
      }
    }
    for (const port of ports) {
      const n = num(port['port']) ?? 0;
      if (b.servers.has(n)) continue;
      const server = net.createServer(forward({ namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name ?? '' }, port));
      b.servers.set(n, server);
      await listenOn(server, b.address, n).catch((e: unknown) => opts.log?.(`load balancer ${key}: cannot listen on ${b.address}:${n}: ${String(e)}`));
    }
    const ingress = [{ ip: b.address, ipMode: 'VIP' }];
    if (JSON.stringify(obj(status(svc)['loadBalancer'])['ingress']) === JSON.stringify(ingress)) return;
    await store.mutate(kinds.service, svc.metadata.namespace, svc.metadata.name ?? '', (o) => {
      o['status'] = { ...status(o), loadBalancer: { ingress } };
    }, { subresource: 'status' }).catch(() => undefined);
  };

  const queue = new Map<string, Promise<void>>();
  const enqueue = (svc: KubeObject): void => {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const previous = queue.get(key) ?? Promise.resolve();
    const next = previous.then(() => sync(svc)).catch((e: unknown) => opts.log?.(`load balancer ${key}: ${String(e)}`));
    queue.set(key, next);
  };
  const unsubscribe = store.onChange((event: StoreEvent) => {
    if (event.object.kind !== 'Service' || event.resource.group !== '') return;
    if (event.type === 'DELETED') {
      void release(`${event.object.metadata.namespace}/${event.object.metadata.name}`);
      return;
    }
    enqueue(event.object);
  });
  for (const svc of store.list(kinds.service).items) enqueue(svc);

  return {
    stop: async () => {
      stopped = true;
      unsubscribe();
      await Promise.allSettled([...queue.values()]);
      for (const key of [...balanced.keys()]) await release(key);
    },
  };
}

/** The provider as a simulator component; `idleImages` are its in-cluster pods' images (MetalLB's controller and speaker), which only run. */
export function loadBalancerComponent(opts: { name: string; idleImages?: string[] }): SimComponent {
  return {
    name: opts.name,
    start(ctx) {
      const repos = new Set((opts.idleImages ?? []).map(imageRepository));
      if (repos.size) ctx.images.register({ kind: opts.name, matches: (repo) => repos.has(repo), start: () => Promise.resolve(idleContainer()) });
      const provider = startLoadBalancerProvider({ store: ctx.store, network: ctx.network, hooks: ctx.hooks.ingress, log: (line) => ctx.log(line) });
      return Promise.resolve({ stop: () => provider.stop() });
    },
  };
}
