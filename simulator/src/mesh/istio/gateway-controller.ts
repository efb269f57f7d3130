/**
 * istiod's Gateway API controllers (istio.md §3a), for the Gateways and routes this istiod handles (gateway-api.ts):
 * - the GatewayClasses `istio` and `istio-remote`, Accepted;
 * - per Gateway of class istio, the automated deployment `<gw>-istio`: ServiceAccount, Deployment (one `istio-proxy`
 *   running `proxy router`) and Service (LoadBalancer unless annotated `networking.istio.io/service-type`; ports
 *   `status-port` 15021 then one per distinct listener port), with the labels and owner references of kube-gateway.yaml;
 * - Gateway status as 1.30 writes it: exactly Accepted and Programmed (ResolvedRefs is 1.31), each with
 *   observedGeneration, `Programmed=False AddressNotAssigned` while the LoadBalancer has no address or no gateway pod is
 *   ready, addresses (IPAddress from the load balancer, Hostname for ClusterIP; never removed once set), listeners with
 *   Accepted / Conflicted / Programmed / ResolvedRefs and attachedRoutes;
 * - HTTPRoute `status.parents[]`: Accepted and ResolvedRefs (`BackendNotFound` for a missing Service).
 * Nothing is written while istiod has no ready endpoint.
 */
import type { KubeObject, StoreEvent } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { arr, deepEqual, nowTimestamp, obj, spec, status, str } from '../../controllers/kube-objects.ts';
import { isPodReady } from '../../controllers/kube-objects.ts';
import { QueueController } from '../../controllers/queue-controller.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import type { MeshHooks } from '../../hooks.ts';
import {
  clusterId, gatewayClassNameLabel, gatewayControllerName, gatewayManagedLabel, gatewayNameLabel, istiodName, proxyImage, proxyPorts,
  remoteGatewayControllerName, revLabel, serviceTypeAnnotation, trustDomain,
} from './constants.ts';
import { attachedListeners, gatewayGroup, handlesGateway, listenersOf, normalizedParentRef, refsTo, resolveBackendRef } from './gateway-api.ts';
import { istioProxyVolumes } from './proxy-volumes.ts';
import type { IstioView } from './view.ts';

type Condition = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; observedGeneration: number; lastTransitionTime: string };

/** Conditions sorted by type, keeping lastTransitionTime while a condition's status stays the same. */
function conditions(previous: unknown, generation: number, wanted: Omit<Condition, 'observedGeneration' | 'lastTransitionTime'>[]): Condition[] {
  const old = arr(previous);
  return wanted.map((c) => {
    const before = old.find((o) => o['type'] === c.type);
    const lastTransitionTime = before && before['status'] === c.status && typeof before['lastTransitionTime'] === 'string' ? before['lastTransitionTime'] : nowTimestamp();
    return { ...c, observedGeneration: generation, lastTransitionTime };
  }).sort((a, b) => a.type.localeCompare(b.type));
}

/** `a`, `a and b`, `a, b, and c` (humanReadableJoin). */
function humanJoin(items: string[]): string {
  if (items.length <= 1) return items.join('');
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, and ${items.at(-1)}`;
}

export const gatewayClasses: KubeObject[] = [
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'istio' }, spec: { controllerName: gatewayControllerName, description: 'The default Istio GatewayClass' } },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'istio-remote' }, spec: { controllerName: remoteGatewayControllerName, description: 'Remote to this cluster. Does not deploy or affect configuration.' } },
];

export class GatewayController extends QueueController {
  constructor(private readonly view: IstioView, private readonly revision: string, private readonly hooks: MeshHooks) {
    super(view.store, { name: 'istio-gateways', component: 'istiod' });
  }

  protected initialKeys(): string[] {
    return ['classes', ...this.view.list('k8sGateway').map((g) => `gw:${g.metadata.namespace}/${g.metadata.name}`), ...this.view.list('httpRoute').map((r) => `route:${r.metadata.namespace}/${r.metadata.name}`)];
  }

  private enqueueAll(): void {
    for (const key of this.initialKeys()) this.queue.enqueue(key);
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    const group = event.resource.group;
    if (group === gatewayGroup && o.kind === 'GatewayClass') {
      this.enqueueAll();
    } else if (group === gatewayGroup && o.kind === 'Gateway') {
      if (event.type === 'DELETED') return;
      this.queue.enqueue(`gw:${o.metadata.namespace}/${o.metadata.name}`);
      for (const r of this.view.list('httpRoute')) if (refsTo(r, o).length) this.queue.enqueue(`route:${r.metadata.namespace}/${r.metadata.name}`);
    } else if (group === gatewayGroup && o.kind === 'HTTPRoute') {
      this.queue.enqueue(`route:${o.metadata.namespace}/${o.metadata.name}`);
      for (const ref of [...arr(spec(o)['parentRefs']), ...arr(spec(event.oldObject ?? o)['parentRefs'])]) {
        const p = normalizedParentRef(ref, o.metadata.namespace ?? 'default');
        if (p.kind === 'Gateway') this.queue.enqueue(`gw:${p.namespace}/${p.name}`);
      }
    } else if (o.kind === 'Endpoints' && o.metadata.namespace === this.view.layout.namespace && o.metadata.name === istiodName(this.view.layout)) {
      this.enqueueAll();
    } else if (o.kind === 'Namespace' || (o.kind === 'Service' && group === '')) {
      const gwName = o.metadata.labels?.[gatewayNameLabel];
      if (o.kind === 'Service' && gwName) this.queue.enqueue(`gw:${o.metadata.namespace}/${gwName}`);
      for (const r of this.view.list('httpRoute')) this.queue.enqueue(`route:${r.metadata.namespace}/${r.metadata.name}`);
      if (o.kind === 'Namespace') this.enqueueAll();
    } else if ((o.kind === 'Pod' || o.kind === 'Deployment') && o.metadata.labels?.[gatewayNameLabel]) {
      this.queue.enqueue(`gw:${o.metadata.namespace}/${o.metadata.labels[gatewayNameLabel]}`);
    } else if (o.kind === 'ReferenceGrant') {
      for (const r of this.view.list('httpRoute')) this.queue.enqueue(`route:${r.metadata.namespace}/${r.metadata.name}`);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    if (!this.view.istiodReachable() || !this.view.type('gatewayClass')) return;
    if (key === 'classes') return this.reconcileClasses();
    const [kind, ref] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const [namespace, name] = ref.split('/') as [string, string];
    if (kind === 'gw') return this.reconcileGateway(namespace, name);
    return this.reconcileRoute(namespace, name);
  }

  private async reconcileClasses(): Promise<void> {
    const type = this.view.type('gatewayClass')!;
    for (const cls of gatewayClasses) {
      if (!this.store.get(type, undefined, cls.metadata.name ?? '')) {
        await this.store.create(type, cls).catch((e: unknown) => {
          if (!(e instanceof ApiError && e.code === 409)) throw e;
        });
      }
      const current = this.store.get(type, undefined, cls.metadata.name ?? '');
      if (!current) continue;
      const wanted = { conditions: conditions(status(current)['conditions'], current.metadata.generation ?? 1, [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Handled by Istio controller' }]) };
      if (!deepEqual(status(current), wanted)) await this.store.mutate(type, undefined, cls.metadata.name ?? '', (o) => { o['status'] = wanted; }, { subresource: 'status' });
    }
  }

  private async reconcileGateway(namespace: string, name: string): Promise<void> {
    const gwType = this.view.type('k8sGateway')!;
    const gw = this.store.get(gwType, namespace, name);
    if (!gw || gw.metadata.deletionTimestamp || !handlesGateway(this.view, gw, this.revision)) return;
    const deployName = `${name}-istio`;
    await this.ensureDeployment(gw, deployName);
    const svc = this.store.get(typeFor(this.store, 'Service'), namespace, deployName);
    const fqdn = `${deployName}.${namespace}.svc.cluster.local`;
    const generation = gw.metadata.generation ?? 1;

    const listeners = listenersOf(gw);
    const ports = [...new Set(listeners.map((l) => l.port))].sort((a, b) => a - b);
    // Per listener port, as gatewaycommon/context.go: a port with instances (a ready gateway pod) is assigned, and a
    // LoadBalancer without an address then adds one "address pending"; a port without any adds "no instances found".
    const podReady = this.view.pods(namespace).filter((p) => p.metadata.labels?.[gatewayNameLabel] === name).some(isPodReady);
    const internal = svc && podReady ? ports.map((p) => `${fqdn}:${p}`) : [];
    const warnings: string[] = [];
    const previous = arr(status(gw)['addresses']);
    let addresses: { type: string; value: string }[] = [];
    if (svc) {
      const type = str(spec(svc)['type']) ?? 'ClusterIP';
      if (type === 'LoadBalancer') {
        const ingress = arr(obj(status(svc)['loadBalancer'])['ingress']);
        addresses = ingress.flatMap((i) => (str(i['ip']) ? [{ type: 'IPAddress', value: str(i['ip'])! }] : str(i['hostname']) ? [{ type: 'Hostname', value: str(i['hostname'])! }] : []));
        if (addresses.length === 0 && podReady) warnings.push(`address pending for hostname "${fqdn}"`);
      } else {
        addresses = [{ type: 'Hostname', value: fqdn }];
      }
      if (!podReady) warnings.push(...ports.map(() => `no instances found for hostname "${fqdn}"`));
    }
    // An address is never removed once set.
    if (addresses.length === 0 && previous.length > 0) addresses = previous.map((a) => ({ type: str(a['type']) ?? 'IPAddress', value: str(a['value']) ?? '' }));

    // gatewaycommon/conversion.go: no gateway Service is UnsupportedAddress; warnings with or without assigned ports.
    const programmed = !svc
      ? { status: 'False' as const, reason: 'UnsupportedAddress', message: 'Failed to assign to any requested addresses' }
      : warnings.length > 0
        ? { status: 'False' as const, reason: 'AddressNotAssigned', message: internal.length > 0 ? `Assigned to service(s) ${humanJoin(internal)}, but failed to assign to all requested addresses: ${warnings.join('; ')}` : `Failed to assign to any requested addresses: ${warnings.join('; ')}` }
        : { status: 'True' as const, reason: 'Programmed', message: `Resource programmed, assigned to service(s) ${humanJoin(internal)}` };
    const routes = this.view.list('httpRoute');
    const listenerStatuses = listeners.map((l) => {
      const prev = arr(status(gw)['listeners']).find((x) => x['name'] === l.name);
      const attachedRoutes = routes.filter((r) => refsTo(r, gw).some((ref) => attachedListeners(this.view, gw, r, ref).accepted.some((a) => a.name === l.name))).length;
      const ok = 'No errors found';
      return {
        name: l.name,
        supportedKinds: [{ group: gatewayGroup, kind: 'HTTPRoute' }, { group: gatewayGroup, kind: 'GRPCRoute' }],
        attachedRoutes,
        conditions: conditions(prev?.['conditions'], generation, [
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: ok },
          { type: 'Conflicted', status: 'False', reason: 'NoConflicts', message: ok },
          { type: 'Programmed', status: 'True', reason: 'Programmed', message: ok },
          { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: ok },
        ]),
      };
    });
    const wanted = {
      ...(addresses.length ? { addresses } : {}),
      conditions: conditions(status(gw)['conditions'], generation, [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted' },
        { type: 'Programmed', ...programmed },
      ]),
      listeners: listenerStatuses,
    };
    if (deepEqual(status(gw), wanted)) return;
    await this.store.mutate(gwType, namespace, name, (o) => { o['status'] = wanted; }, { subresource: 'status' }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    });
  }

  private async ensureDeployment(gw: KubeObject, deployName: string): Promise<void> {
    const ns = gw.metadata.namespace ?? 'default';
    const gwName = gw.metadata.name ?? '';
    const className = str(spec(gw)['gatewayClassName']) ?? 'istio';
    // istiod's owner reference to the Gateway has no `controller` flag (seen against the real istiod, simulator/README.md).
    const owner = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: gwName, uid: gw.metadata.uid ?? '' };
    const infraLabels = obj(obj(spec(gw)['infrastructure'])['labels']) as Record<string, string>;
    const labels = { ...infraLabels, [gatewayNameLabel]: gwName, [gatewayClassNameLabel]: className, [gatewayManagedLabel]: 'istio.io-gateway-controller' };
    const serviceType = gw.metadata.annotations?.[serviceTypeAnnotation] ?? 'LoadBalancer';
    const listenerPorts = new Map<number, { name: string; protocol: string }>();
    for (const l of listenersOf(gw)) if (!listenerPorts.has(l.port)) listenerPorts.set(l.port, { name: l.name.replace(/\./g, '-').slice(0, 63), protocol: l.protocol });
    const sa: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: gw.metadata.annotations?.['gateway.istio.io/service-account'] ?? deployName, namespace: ns, labels, ownerReferences: [owner] } };
    const service: KubeObject = {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: deployName, namespace: ns, labels, ownerReferences: [owner] },
      spec: {
        type: serviceType,
        ipFamilyPolicy: 'PreferDualStack',
        selector: { [gatewayNameLabel]: gwName },
        ports: [
          { name: 'status-port', port: proxyPorts.health, protocol: 'TCP', appProtocol: 'tcp' },
          ...[...listenerPorts].map(([port, l]) => ({ name: l.name, port, protocol: 'TCP', appProtocol: l.protocol.toLowerCase() })),
        ],
      },
    };
    const layout = this.view.layout;
    const fieldRef = (n: string, path: string) => ({ name: n, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: path } } });
    const deployment: KubeObject = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: deployName, namespace: ns, labels, ownerReferences: [owner] },
      spec: {
        selector: { matchLabels: { [gatewayNameLabel]: gwName } },
        template: {
          metadata: {
            labels: { ...labels, 'sidecar.istio.io/inject': 'false', 'service.istio.io/canonical-name': deployName, 'service.istio.io/canonical-revision': 'latest' },
            annotations: { [revLabel]: this.revision, 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': String(proxyPorts.status), 'prometheus.io/scrape': 'true' },
          },
          spec: {
            serviceAccountName: str(sa.metadata.name) ?? deployName,
            securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
            containers: [{
              name: 'istio-proxy',
              image: proxyImage(layout),
              args: ['proxy', 'router', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel', 'warning', '--proxyComponentLogLevel', 'misc:error', '--log_output_level', 'default:info'],
              env: [
                { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
                { name: 'CA_ADDR', value: `${istiodName(layout)}.${layout.namespace}.svc:15012` },
                fieldRef('POD_NAME', 'metadata.name'), fieldRef('POD_NAMESPACE', 'metadata.namespace'), fieldRef('INSTANCE_IP', 'status.podIP'),
                fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'), fieldRef('HOST_IP', 'status.hostIP'),
                // What the kube-gateway template adds through the sidecar template's env (as the real istiod renders it).
                { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.cpu' } } },
                { name: 'PROXY_CONFIG', value: `${JSON.stringify({ discoveryAddress: `${istiodName(layout)}.${layout.namespace}.svc:15012` })}\n` },
                { name: 'ISTIO_META_POD_PORTS', value: '[]' },
                { name: 'ISTIO_META_APP_CONTAINERS', value: '' },
                { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.memory' } } },
                { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.cpu' } } },
                { name: 'ISTIO_META_CLUSTER_ID', value: clusterId },
                fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
                { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
                { name: 'ISTIO_META_WORKLOAD_NAME', value: deployName },
                { name: 'ISTIO_META_OWNER', value: `kubernetes://apis/apps/v1/namespaces/${ns}/deployments/${deployName}` },
                { name: 'ISTIO_META_MESH_ID', value: trustDomain },
                { name: 'TRUST_DOMAIN', value: trustDomain },
              ],
              ports: [
                { containerPort: proxyPorts.status, name: 'metrics', protocol: 'TCP' },
                { containerPort: proxyPorts.health, name: 'status-port', protocol: 'TCP' },
                { containerPort: proxyPorts.envoyPrometheus, name: 'http-envoy-prom', protocol: 'TCP' },
              ],
              readinessProbe: { failureThreshold: 4, httpGet: { path: '/healthz/ready', port: proxyPorts.health, scheme: 'HTTP' }, periodSeconds: 15, successThreshold: 1, timeoutSeconds: 1 },
              startupProbe: { failureThreshold: 30, httpGet: { path: '/healthz/ready', port: proxyPorts.health, scheme: 'HTTP' }, initialDelaySeconds: 1, periodSeconds: 1, successThreshold: 1, timeoutSeconds: 1 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 },
              resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
              volumeMounts: [
                { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
                { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
                { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
                { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
                { mountPath: '/var/lib/istio/data', name: 'istio-data' },
                { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
                { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
                { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
              ],
            }],
            // The sidecar template's volumes without istio-ca-crl (the gateway template mounts no CRL).
            volumes: istioProxyVolumes({ crl: false }),
          },
        },
      },
    };
    const create = async (kind: 'ServiceAccount' | 'Deployment' | 'Service', object: KubeObject): Promise<void> => {
      const type = typeFor(this.store, kind);
      const current = this.store.get(type, ns, object.metadata.name ?? '');
      if (!current) {
        await this.store.create(type, object).catch((e: unknown) => {
          if (!(e instanceof ApiError && e.code === 409)) throw e;
        });
        return;
      }
      // Server-side apply of the rendered spec: keep what others set (clusterIP, nodePorts), replace what we render.
      if (kind === 'Service') {
        const cur = spec(current);
        const want = spec(object);
        const samePorts = deepEqual(arr(cur['ports']).map((p) => [p['name'], p['port']]), arr(want['ports']).map((p) => [p['name'], p['port']]));
        if (cur['type'] !== want['type'] || !samePorts) {
          await this.store.mutate(type, ns, object.metadata.name ?? '', (o) => {
            o['spec'] = { ...spec(o), type: want['type'], ports: want['ports'] };
          });
        }
      }
    };
    await create('ServiceAccount', sa);
    await create('Service', service);
    await create('Deployment', deployment);
  }

  private async reconcileRoute(namespace: string, name: string): Promise<void> {
    const type = this.view.type('httpRoute')!;
    const route = this.store.get(type, namespace, name);
    if (!route || route.metadata.deletionTimestamp) return;
    const generation = route.metadata.generation ?? 1;
    const ours: Record<string, unknown>[] = [];
    const others = arr(status(route)['parents']).filter((p) => p['controllerName'] !== gatewayControllerName);
    const backends = arr(spec(route)['rules']).flatMap((rule) => arr(rule['backendRefs']).map((ref) => resolveBackendRef(this.view, route, ref, this.hooks.routeBackendsUnresolved)));
    const problem = backends.find((b) => b.problem)?.problem;
    const resolved = problem
      ? { type: 'ResolvedRefs', status: 'False' as const, reason: problem.reason, message: problem.message }
      : { type: 'ResolvedRefs', status: 'True' as const, reason: 'ResolvedRefs', message: 'All references resolved' };
    for (const ref of arr(spec(route)['parentRefs'])) {
      const parent = normalizedParentRef(ref, namespace);
      if (parent.group !== gatewayGroup || parent.kind !== 'Gateway') continue;
      const gw = this.view.get('k8sGateway', parent.namespace, parent.name);
      if (gw && !handlesGateway(this.view, gw, this.revision)) continue;
      // The parentRef as the spec gives it, with the API's defaulted group and kind (the namespace only when given).
      const { namespace: _ns, ...defaulted } = parent;
      const parentRef = str(ref['namespace']) ? parent : defaulted;
      const prev = arr(status(route)['parents']).find((p) => p['controllerName'] === gatewayControllerName && deepEqual(p['parentRef'], parentRef));
      const attached = gw ? attachedListeners(this.view, gw, route, ref) : { accepted: [], reason: 'NoMatchingParent' as const };
      const accepted = attached.accepted.length > 0
        ? { type: 'Accepted', status: 'True' as const, reason: 'Accepted', message: 'Route was valid' }
        : { type: 'Accepted', status: 'False' as const, reason: attached.reason ?? 'NoMatchingParent', message: gw ? 'no listeners accepted the route' : `parent gateway ${parent.namespace}/${parent.name} not found` };
      ours.push({ parentRef, controllerName: gatewayControllerName, conditions: conditions(prev?.['conditions'], generation, [accepted, resolved]) });
    }
    if (ours.length === 0) return;
    if (ours.length > 1) {
      for (const p of ours) for (const c of arr(p['conditions'])) if (c['type'] === 'Accepted' && c['status'] === 'True') c['message'] = `Route was valid, bound to ${ours.length} parents`;
    }
    const wanted = { parents: [...others, ...ours] };
    if (deepEqual(status(route), wanted)) return;
    await this.store.mutate(type, namespace, name, (o) => { o['status'] = wanted; }, { subresource: 'status' }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    });
  }
}
