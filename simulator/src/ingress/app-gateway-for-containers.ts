/**
 * Application Gateway for Containers (AGC) on the aks flavor, the AKS guide's ingress since November 2025 (osm.md §5b,
 * docs/aks.md): the ALB controller in the cluster (its pod only has to run) and, outside the cluster, what Azure runs
 * for it:
 * - the GatewayClass `azure-alb-external` (controller `alb.networking.azure.io/alb-controller`), Accepted;
 * - the ApplicationLoadBalancer `alb-test-infra/alb-test` (ALB-managed deployment, as `aks-up --ingress agc` creates
 *   it): Accepted, and Deployment=True (Ready) once its Azure resource exists;
 * - per Gateway of that class bound to an existing ApplicationLoadBalancer (annotations `alb.networking.azure.io/
 *   alb-namespace` and `alb-name`): a frontend with an FQDN `<16 hex>.fz<nn>.alb.azure.com`, written to
 *   `status.addresses` (type Hostname) with Accepted and Programmed after the modelled frontend delay; a Gateway whose
 *   ApplicationLoadBalancer does not exist stays Accepted=False (reason and wording UNCONFIRMED);
 * - HTTPRoute `status.parents[]`: ResolvedRefs (BackendNotFound for a missing Service), Accepted, Programmed;
 * - status wording as the AGC quickstarts and how-to guides show it (MicrosoftDocs/azure-docs,
 *   articles/application-gateway/for-containers/: `Valid GatewayClass`, `Valid Application Gateway for Containers
 *   resource`, `alb-id=…`, `Valid Gateway`, `Listener is accepted`, `Route is Accepted`, `Application Gateway For
 *   Containers resource has been successfully updated.`);
 * - the data path: one HTTP listener on a loopback address (port 80, a free port when 80 cannot be bound, which a
 *   client then cannot reach by the FQDN alone), connecting to pods from a loopback address the mesh sees as the
 *   AGC subnet's 10.225.1.4, inside the guide's IngressBackend IPRange 10.0.0.0/8;
 * - public DNS for the frontends: a DNS server (UDP) that answers A records for the FQDNs and NXDOMAIN otherwise;
 *   clients use it through the ready message's `agc.dnsServer`.
 * Which status AGC answers for a backend that resets the connection is UNCONFIRMED: its data plane is Envoy-based, so
 * the simulator answers Envoy's 503 with its reset text.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { KubeObject, ObjectStore, SimNetwork, StoreEvent } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import { recordDelay } from '../condition-log.ts';
import { arr, deepEqual, nowTimestamp, spec, status, str } from '../controllers/kube-objects.ts';
import { QueueController } from '../controllers/queue-controller.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import type { IngressHooks } from '../hooks.ts';
import { idleContainer } from '../node/container.ts';
import { imageRepository } from '../node/images.ts';
import { nodeKinds } from '../node/kinds.ts';
import type { ErrorPage } from './ingress-proxy.ts';
import { startIngressProxy } from './ingress-proxy.ts';

export const agcGatewayClassName = 'azure-alb-external';
export const albControllerName = 'alb.networking.azure.io/alb-controller';
export const albGroup = 'alb.networking.azure.io';
const gatewayGroup = 'gateway.networking.k8s.io';
export const albAnnotations = { namespace: 'alb.networking.azure.io/alb-namespace', name: 'alb.networking.azure.io/alb-name' } as const;
/** The Programmed message of Gateways, listeners and routes (the AGC how-to guides' example status). */
const programmedMessage = 'Application Gateway For Containers resource has been successfully updated.';
/** The AGC subnet address the mesh sees as the source of AGC's connections (the subnet is UNCONFIRMED; any 10.x works with the guide's 10.0.0.0/8). */
export const agcSubnetAddress = '10.225.1.4';

type Condition = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; observedGeneration: number; lastTransitionTime: string };
type Wanted = Omit<Condition, 'observedGeneration' | 'lastTransitionTime'>;

function conditions(previous: unknown, generation: number, wanted: Wanted[]): Condition[] {
  const old = arr(previous);
  return wanted.map((c) => {
    const before = old.find((o) => o['type'] === c.type);
    const lastTransitionTime = before && before['status'] === c.status && typeof before['lastTransitionTime'] === 'string' ? before['lastTransitionTime'] : nowTimestamp();
    return { ...c, observedGeneration: generation, lastTransitionTime };
  });
}

/** The type of a Gateway API or ALB kind (the v1 storage version), or undefined while its CRD is not installed. */
function typeOf(store: ObjectStore, group: string, plural: string) {
  const served = store.types.all().filter((t) => t.group === group && t.plural === plural);
  return served.find((t) => t.version === 'v1') ?? served[0];
}

interface ParentRef { group: string; kind: string; namespace: string; name: string }
function parentRefs(route: KubeObject): ParentRef[] {
  const ns = route.metadata.namespace ?? 'default';
  return arr(spec(route)['parentRefs']).map((r) => ({ group: str(r['group']) ?? gatewayGroup, kind: str(r['kind']) ?? 'Gateway', namespace: str(r['namespace']) ?? ns, name: str(r['name']) ?? '' }));
}

/** A frontend's FQDN as AGC hands them out. */
function frontendFqdn(): string {
  return `${randomBytes(8).toString('hex')}.fz${String(10 + (randomBytes(1)[0]! % 90))}.alb.azure.com`;
}

/** The ALB controller's reconciliation plus the Azure side it drives (frontends, DNS names). */
export class AgcController extends QueueController {
  /** FQDN of each Gateway's frontend (`ns/name`), kept while the Gateway exists. */
  readonly frontends = new Map<string, string>();
  private readonly programmedAt = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(store: ObjectStore, private readonly opts: { frontendDelayMs: number }) {
    super(store, { name: 'alb-controller', component: 'alb-controller' });
  }

  protected initialKeys(): string[] {
    const gw = typeOf(this.store, gatewayGroup, 'gateways');
    const routes = typeOf(this.store, gatewayGroup, 'httproutes');
    const albs = typeOf(this.store, albGroup, 'applicationloadbalancers');
    return [
      'classes',
      ...(albs ? this.store.list(albs).items.map((a) => `alb:${a.metadata.namespace}/${a.metadata.name}`) : []),
      ...(gw ? this.store.list(gw).items.map((g) => `gw:${g.metadata.namespace}/${g.metadata.name}`) : []),
      ...(routes ? this.store.list(routes).items.map((r) => `route:${r.metadata.namespace}/${r.metadata.name}`) : []),
    ];
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    const { group } = event.resource;
    if (o.kind === 'CustomResourceDefinition' || (group === gatewayGroup && o.kind === 'GatewayClass')) {
      for (const key of this.initialKeys()) this.queue.enqueue(key);
    } else if (group === albGroup && o.kind === 'ApplicationLoadBalancer') {
      this.queue.enqueue(`alb:${o.metadata.namespace}/${o.metadata.name}`);
      for (const key of this.initialKeys().filter((k) => k.startsWith('gw:'))) this.queue.enqueue(key);
    } else if (group === gatewayGroup && o.kind === 'Gateway') {
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      if (event.type === 'DELETED') {
        this.frontends.delete(key);
        this.programmedAt.delete(key);
        return;
      }
      this.queue.enqueue(`gw:${key}`);
      for (const k of this.initialKeys().filter((x) => x.startsWith('route:'))) this.queue.enqueue(k);
    } else if (group === gatewayGroup && o.kind === 'HTTPRoute') {
      this.queue.enqueue(`route:${o.metadata.namespace}/${o.metadata.name}`);
      for (const p of [...parentRefs(o), ...(event.oldObject ? parentRefs(event.oldObject) : [])]) if (p.kind === 'Gateway') this.queue.enqueue(`gw:${p.namespace}/${p.name}`);
    } else if (o.kind === 'Service' && group === '') {
      for (const k of this.initialKeys().filter((x) => x.startsWith('route:'))) this.queue.enqueue(k);
    }
  }

  override stop(): void {
    for (const t of this.timers) clearTimeout(t);
    super.stop();
  }

  protected async reconcile(key: string): Promise<void> {
    if (key === 'classes') return this.reconcileClass();
    const at = key.indexOf(':');
    const [namespace = '', name = ''] = key.slice(at + 1).split('/');
    const kind = key.slice(0, at);
    if (kind === 'alb') return this.reconcileAlb(namespace, name);
    if (kind === 'gw') return this.reconcileGateway(namespace, name);
    return this.reconcileRoute(namespace, name);
  }

  private async writeStatus(type: NonNullable<ReturnType<typeof typeOf>>, obj: KubeObject, wanted: Record<string, unknown>): Promise<void> {
    if (deepEqual(status(obj), wanted)) return;
    await this.store.mutate(type, obj.metadata.namespace, obj.metadata.name ?? '', (o) => { o['status'] = wanted; }, { subresource: 'status' }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    });
  }

  private async reconcileClass(): Promise<void> {
    const type = typeOf(this.store, gatewayGroup, 'gatewayclasses');
    if (!type) return;
    if (!this.store.get(type, undefined, agcGatewayClassName)) {
      await this.store.create(type, { apiVersion: `${gatewayGroup}/v1`, kind: 'GatewayClass', metadata: { name: agcGatewayClassName }, spec: { controllerName: albControllerName } }).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      });
    }
    const cls = this.store.get(type, undefined, agcGatewayClassName);
    if (!cls) return;
    await this.writeStatus(type, cls, { conditions: conditions(status(cls)['conditions'], cls.metadata.generation ?? 1, [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Valid GatewayClass' }]) });
  }

  private async reconcileAlb(namespace: string, name: string): Promise<void> {
    const type = typeOf(this.store, albGroup, 'applicationloadbalancers');
    const alb = type ? this.store.get(type, namespace, name) : undefined;
    if (!type || !alb || alb.metadata.deletionTimestamp) return;
    const generation = alb.metadata.generation ?? 1;
    const associations = spec(alb)['associations'];
    const associated = Array.isArray(associations) && associations.length > 0;
    const wanted = associated
      ? [
        { type: 'Accepted', status: 'True' as const, reason: 'Accepted', message: 'Valid Application Gateway for Containers resource' },
        { type: 'Deployment', status: 'True' as const, reason: 'Ready', message: `alb-id=/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/MC_mesh-conformance_mesh-conformance_eastus/providers/Microsoft.ServiceNetworking/trafficControllers/alb-${(alb.metadata.uid ?? '').slice(0, 8)}` },
      ]
      : [{ type: 'Accepted', status: 'False' as const, reason: 'Invalid', message: 'spec.associations must name the subnet delegated to Microsoft.ServiceNetworking/trafficControllers' }];
    await this.writeStatus(type, alb, { conditions: conditions(status(alb)['conditions'], generation, wanted) });
  }

  private albReady(namespace: string | undefined, name: string | undefined): boolean {
    const type = typeOf(this.store, albGroup, 'applicationloadbalancers');
    const alb = type && namespace && name ? this.store.get(type, namespace, name) : undefined;
    return arr(status(alb ?? { metadata: {} } as KubeObject)['conditions']).some((c) => c['type'] === 'Deployment' && c['status'] === 'True');
  }

  private async reconcileGateway(namespace: string, name: string): Promise<void> {
    const type = typeOf(this.store, gatewayGroup, 'gateways');
    const gw = type ? this.store.get(type, namespace, name) : undefined;
    if (!type || !gw || gw.metadata.deletionTimestamp || str(spec(gw)['gatewayClassName']) !== agcGatewayClassName) return;
    const key = `${namespace}/${name}`;
    const generation = gw.metadata.generation ?? 1;
    const albNs = gw.metadata.annotations?.[albAnnotations.namespace];
    const albName = gw.metadata.annotations?.[albAnnotations.name];
    const listeners = arr(spec(gw)['listeners']);
    if (!this.albReady(albNs, albName)) {
      const missing = albNs && albName ? `ApplicationLoadBalancer ${albNs}/${albName} is not found or not deployed` : `annotations ${albAnnotations.namespace} and ${albAnnotations.name} must name an ApplicationLoadBalancer`;
      await this.writeStatus(type, gw, {
        conditions: conditions(status(gw)['conditions'], generation, [
          { type: 'Accepted', status: 'False', reason: 'Invalid', message: missing },
          { type: 'Programmed', status: 'False', reason: 'Invalid', message: missing },
        ]),
      });
      return;
    }
    const due = this.programmedAt.get(key) ?? Date.now() + this.opts.frontendDelayMs;
    if (!this.programmedAt.has(key)) {
      this.programmedAt.set(key, due);
      recordDelay('ingressAddress', gw, this.opts.frontendDelayMs);
    }
    const wait = due - Date.now();
    if (wait > 0) {
      const t = setTimeout(() => { this.timers.delete(t); this.queue.enqueue(`gw:${key}`); }, wait);
      this.timers.add(t);
      await this.writeStatus(type, gw, {
        conditions: conditions(status(gw)['conditions'], generation, [
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Valid Gateway' },
          { type: 'Programmed', status: 'False', reason: 'Pending', message: 'Application Gateway for Containers frontend is being provisioned' },
        ]),
      });
      return;
    }
    const fqdn = this.frontends.get(key) ?? frontendFqdn();
    this.frontends.set(key, fqdn);
    const routes = typeOf(this.store, gatewayGroup, 'httproutes');
    const attached = routes ? this.store.list(routes).items.filter((r) => parentRefs(r).some((p) => p.kind === 'Gateway' && p.namespace === namespace && p.name === name)) : [];
    await this.writeStatus(type, gw, {
      addresses: [{ type: 'Hostname', value: fqdn }],
      conditions: conditions(status(gw)['conditions'], generation, [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Valid Gateway' },
        { type: 'Programmed', status: 'True', reason: 'Programmed', message: programmedMessage },
      ]),
      listeners: listeners.map((l) => {
        const prev = arr(status(gw)['listeners']).find((x) => x['name'] === l['name']);
        return {
          name: l['name'],
          supportedKinds: [{ group: gatewayGroup, kind: 'HTTPRoute' }],
          attachedRoutes: attached.filter((r) => (r.metadata.namespace ?? '') === namespace).length,
          conditions: conditions(prev?.['conditions'], generation, [
            { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: '' },
            { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Listener is accepted' },
            { type: 'Programmed', status: 'True', reason: 'Programmed', message: programmedMessage },
          ]),
        };
      }),
    });
  }

  private async reconcileRoute(namespace: string, name: string): Promise<void> {
    const type = typeOf(this.store, gatewayGroup, 'httproutes');
    const gwType = typeOf(this.store, gatewayGroup, 'gateways');
    const route = type ? this.store.get(type, namespace, name) : undefined;
    if (!type || !gwType || !route || route.metadata.deletionTimestamp) return;
    const generation = route.metadata.generation ?? 1;
    const svcType = typeFor(this.store, 'Service');
    const missing = arr(spec(route)['rules']).flatMap((rule) => arr(rule['backendRefs'])).find((b) => (str(b['kind']) ?? 'Service') === 'Service'
      && !this.store.get(svcType, str(b['namespace']) ?? namespace, str(b['name']) ?? ''));
    const resolved: Wanted = missing
      ? { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: `Service ${str(missing['namespace']) ?? namespace}/${str(missing['name']) ?? ''} not found` }
      : { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: '' };
    const others = arr(status(route)['parents']).filter((p) => p['controllerName'] !== albControllerName);
    const ours = parentRefs(route).filter((p) => p.group === gatewayGroup && p.kind === 'Gateway').flatMap((p) => {
      const gw = this.store.get(gwType, p.namespace, p.name);
      if (!gw || str(spec(gw)['gatewayClassName']) !== agcGatewayClassName) return [];
      const prev = arr(status(route)['parents']).find((x) => x['controllerName'] === albControllerName && (x['parentRef'] as { name?: string } | undefined)?.name === p.name);
      return [{
        parentRef: { group: p.group, kind: p.kind, name: p.name, namespace: p.namespace },
        controllerName: albControllerName,
        conditions: conditions(prev?.['conditions'], generation, [
          resolved,
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route is Accepted' },
          { type: 'Programmed', status: 'True', reason: 'Programmed', message: programmedMessage },
        ]),
      }];
    });
    if (ours.length === 0) return;
    await this.writeStatus(type, route, { parents: [...others, ...ours] });
  }

  /** The routes AGC serves, as Ingress-shaped objects for the shared data path (host, path prefix, backend). */
  servedRoutes(): KubeObject[] {
    const gwType = typeOf(this.store, gatewayGroup, 'gateways');
    const routeType = typeOf(this.store, gatewayGroup, 'httproutes');
    if (!gwType || !routeType) return [];
    const out: KubeObject[] = [];
    for (const route of this.store.list(routeType).items.filter((r) => !r.metadata.deletionTimestamp)) {
      for (const p of parentRefs(route)) {
        const gw = this.store.get(gwType, p.namespace, p.name);
        if (!gw || gw.metadata.deletionTimestamp || !this.frontends.has(`${p.namespace}/${p.name}`)) continue;
        const listenerHosts = arr(spec(gw)['listeners']).map((l) => str(l['hostname']));
        const hosts = arr(spec(route)['hostnames']).length ? (spec(route)['hostnames'] as string[]) : listenerHosts.map((h) => h ?? '');
        const paths = arr(spec(route)['rules']).flatMap((rule) => {
          const backend = arr(rule['backendRefs'])[0];
          if (!backend) return [];
          const matches = arr(rule['matches']).length ? arr(rule['matches']) : [{ path: { type: 'PathPrefix', value: '/' } }];
          return matches.map((m) => {
            const path = (m['path'] ?? { type: 'PathPrefix', value: '/' }) as { type?: string; value?: string };
            return { path: path.value ?? '/', pathType: path.type === 'Exact' ? 'Exact' : 'Prefix', backend: { service: { name: str(backend['name']) ?? '', port: { number: Number(backend['port'] ?? 80) } } } };
          });
        });
        out.push({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { namespace: route.metadata.namespace ?? 'default', name: route.metadata.name ?? '' }, spec: { rules: hosts.map((host) => ({ ...(host ? { host } : {}), http: { paths } })) } });
      }
    }
    return out;
  }
}

/** Envoy's local replies, which AGC's data plane is assumed to give (UNCONFIRMED, see above). */
function agcErrorPage(status: number): ErrorPage {
  const text = status === 404 ? '' : status === 503 ? 'no healthy upstream' : 'upstream connect error or disconnect/reset before headers. reset reason: connection termination';
  return { status: status === 502 ? 503 : status, headers: { 'content-type': 'text/plain' }, body: text };
}

export interface AgcDns {
  /** `ip:port` of the server. */
  server: string;
  close(): Promise<void>;
}

/** A UDP DNS server answering A records from `lookup` (undefined: NXDOMAIN). */
export async function startAgcDns(host: string, lookup: (name: string) => string | undefined): Promise<AgcDns> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    const address = question && (question.type === 'A' || question.type === 'AAAA') ? lookup(question.name.toLowerCase()) : undefined;
    const known = question ? lookup(question.name.toLowerCase()) !== undefined : false;
    const answers: dnsPacket.Answer[] = address && question?.type === 'A' ? [{ type: 'A', name: question.name, ttl: 5, class: 'IN', data: address }] : [];
    const reply = dnsPacket.encode({
      id: query.id ?? 0, type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3), // rcode 3: NXDOMAIN
      questions: query.questions ?? [], answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  const bind = (port: number) => new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind(port, host, () => { socket.off('error', onError); resolve(); });
  });
  await bind(53).catch(() => bind(0));
  const { port } = socket.address();
  return { server: `${host}:${port}`, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** Starts AGC's data path and DNS and the ALB controller's reconciliation; stop() on shutdown. */
export async function startAgc(opts: { store: ObjectStore; network: SimNetwork; hooks: IngressHooks; frontendDelayMs: number; log?(line: string): void }) {
  const { store, network } = opts;
  const kinds = nodeKinds(store);
  const controller = new AgcController(store, { frontendDelayMs: opts.frontendDelayMs }).start();
  const publicAddress = network.allocate('agc:frontend');
  const sourceAddress = network.allocate('agc:backend-source');
  const dnsAddress = network.allocate('agc:dns');
  network.mapVirtual(sourceAddress, agcSubnetAddress);
  const release = () => { for (const a of [publicAddress, sourceAddress, dnsAddress]) network.release(a); };
  try {
    const proxy = await startIngressProxy({ store, kinds, ingresses: () => controller.servedRoutes(), listenHost: publicAddress, preferredPort: 80, sourceAddress, errorPage: agcErrorPage });
    if (proxy.port !== 80) opts.log?.(`Application Gateway for Containers: port 80 could not be bound on ${publicAddress}; frontends listen on ${proxy.port}, which their FQDNs do not carry`);
    const fqdns = () => new Set(controller.frontends.values());
    const dns = await startAgcDns(dnsAddress, (name) => (!opts.hooks.agcFrontendUnresolvable && fqdns().has(name) ? publicAddress : undefined));
    return {
      dnsServer: dns.server, address: publicAddress, port: proxy.port,
      stop: async () => {
        controller.stop();
        await dns.close();
        await proxy.close();
        release();
      },
    };
  } catch (err) {
    controller.stop();
    release();
    throw err;
  }
}

/** AGC as a simulator component (aks): the ALB controller's image runs idle; the rest is the controller above. */
export function agcComponent(opts: { albControllerImage: string }): SimComponent {
  return {
    name: 'application-gateway-for-containers',
    async start(ctx) {
      ctx.images.register({ kind: 'alb-controller', matches: (repo) => repo === imageRepository(opts.albControllerImage), start: () => Promise.resolve(idleContainer()) });
      const agc = await startAgc({ store: ctx.store, network: ctx.network, hooks: ctx.hooks.ingress, frontendDelayMs: ctx.timings.ingressAddressMs, log: (l) => ctx.log(l) });
      return { offers: { agc: { dnsServer: agc.dnsServer } }, stop: () => agc.stop() };
    },
  };
}
