/**
 * istiod's sidecar injector (istio.md §1, §2) as an in-process admission plugin, called as kube-apiserver calls the
 * webhook: only at pod CREATE, only when a stored injector MWC entry pointing at this istiod selects the pod
 * (webhook-configs.ts), with `failurePolicy: Fail` while istiod has no ready endpoint. The decision follows
 * `injectRequired` (hostNetwork, ignored namespaces, the `sidecar.istio.io/inject` label then annotation, policy
 * `enabled`); native or classic form follows istiod's ENABLE_NATIVE_SIDECARS (read from its Deployment: unset means
 * `auto`, native when every kubelet that can run the pod is ≥ 1.33) and the pod's `sidecar.istio.io/nativeSidecar`.
 * The pod gets what injection-template.yaml renders: istio-init (or istio-validation with CNI), istio-proxy, the
 * volumes, labels and annotations (`sidecar.istio.io/status` exactly as upstream writes it).
 */
import type { AdmissionPlugin, AdmissionRequest, KubeObject } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { arr, obj, spec, str } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import type { MeshHooks } from '../../hooks.ts';
import { noHooks } from '../../hooks.ts';
import {
  canonicalNameLabel, canonicalRevisionLabel, clusterId, ignoredNamespaces, injectLabel, istiodName, nativeSidecarAnnotation, proxyImage,
  proxyPorts, revLabel, statusAnnotation, tlsModeLabel, trustDomain,
} from './constants.ts';
import type { IstioLayout } from './constants.ts';
import type { IstioView } from './view.ts';
import { istioProxyVolumes } from './proxy-volumes.ts';
import { matchingInjectorEntry } from './webhook-configs.ts';

export const injectedVolumes = ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert', 'istio-ca-crl'] as const;

/** Why a pod is or is not injected (`injectRequired`, §1.2). */
export type InjectionDecision = 'inject' | 'host-network' | 'ignored-namespace' | 'opted-out' | 'already-injected' | 'policy-disabled';

export function decideInjection(pod: KubeObject, namespace: string, policy: 'enabled' | 'disabled' = 'enabled'): InjectionDecision {
  if (spec(pod)['hostNetwork'] === true) return 'host-network';
  if ((ignoredNamespaces as readonly string[]).includes(namespace)) return 'ignored-namespace';
  if (pod.metadata.annotations?.[statusAnnotation] !== undefined) return 'already-injected';
  // The label wins over the annotation; "true" and "false" are honoured, anything else falls back to the policy.
  const value = pod.metadata.labels?.[injectLabel] ?? pod.metadata.annotations?.[injectLabel];
  if (value === 'false') return 'opted-out';
  if (value === 'true') return 'inject';
  return policy === 'enabled' ? 'inject' : 'policy-disabled';
}

/** `major.minor` of a `v1.35.0` kubelet version, or undefined. */
function minorOf(version: string | undefined): number | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  return m && m[1] === '1' ? Number(m[2]) : undefined;
}

/**
 * ENABLE_NATIVE_SIDECARS as istiod runs it (§2.3): `true`/`false` from its env, else `auto`: native when the pod's node
 * (or, before scheduling, every node) runs a kubelet ≥ 1.33. The pod annotation overrides.
 */
export function nativeSidecars(view: IstioView, pod: KubeObject): boolean {
  const annotation = pod.metadata.annotations?.[nativeSidecarAnnotation];
  if (annotation === 'true' || annotation === 'false') return annotation === 'true';
  const env = istiodEnv(view, 'ENABLE_NATIVE_SIDECARS') ?? 'auto';
  if (env === 'true' || env === 'false') return env === 'true';
  const nodes = view.store.list(typeFor(view.store, 'Node')).items;
  const nodeName = str(spec(pod)['nodeName']);
  const relevant = nodeName ? nodes.filter((n) => n.metadata.name === nodeName) : nodes;
  return relevant.length > 0 && relevant.every((n) => (minorOf(str(obj(obj(n['status'])['nodeInfo'])['kubeletVersion'])) ?? 0) >= 33);
}

/** A variable of istiod's `discovery` container, from its Deployment. */
export function istiodEnv(view: IstioView, name: string): string | undefined {
  const d = view.store.get(typeFor(view.store, 'Deployment'), view.layout.namespace, istiodName(view.layout));
  if (!d) return undefined;
  const containers = arr(obj(obj(spec(d)['template'])['spec'])['containers']);
  const discovery = containers.find((c) => c['name'] === 'discovery');
  return str(arr(discovery?.['env']).find((e) => e['name'] === name)?.['value']);
}

export interface InjectorOptions {
  view: IstioView;
  hooks?: MeshHooks;
  /** The revision istiod serves (what it writes into `istio.io/rev` and the status annotation). */
  revision: string;
  /** istiod's CA: it signs the certificate the webhook serves, and its root is the webhook configuration's caBundle. */
  servingCa?: { certPem: string; keyPem: string };
}

/** Builds the admission plugin; register it with store.addAdmissionPlugin. */
export function createIstioInjector(opts: InjectorOptions): AdmissionPlugin & { stop(): void } {
  const { view } = opts;
  const hooks = opts.hooks ?? noHooks.mesh;
  let stopped = false;
  return {
    name: 'istio-sidecar-injector',
    endpoint: { namespace: view.layout.namespace, service: istiodName(view.layout), path: '/inject', ...(opts.servingCa ? { servingCa: opts.servingCa } : {}) },
    stop() {
      stopped = true;
    },
    mutate(req: AdmissionRequest): void {
      if (stopped || req.operation !== 'CREATE' || req.resource.kind !== 'Pod' || req.resource.group !== '' || req.subresource) return;
      const namespace = req.namespace ?? req.object.metadata.namespace ?? 'default';
      const match = matchingInjectorEntry(view, req.object, view.namespace(namespace));
      if (!match) return;
      const entryName = str(match.entry['name']) ?? '';
      if (!view.istiodReachable()) {
        // failurePolicy: Fail, with the message kube-apiserver gives for a webhook Service without endpoints.
        throw new ApiError(500, 'InternalError',
          `Internal error occurred: failed calling webhook "${entryName}": failed to call webhook: Post "https://${istiodName(view.layout)}.${view.layout.namespace}.svc:443/inject?timeout=10s": no endpoints available for service "${istiodName(view.layout)}"`);
      }
      if (hooks.skipInjection) return;
      if (decideInjection(req.object, namespace) !== 'inject') return;
      injectSidecar(req.object, {
        layout: view.layout,
        revision: opts.revision,
        namespace,
        native: nativeSidecars(view, req.object),
      });
    },
  };
}

export interface SidecarParams {
  layout: IstioLayout;
  revision: string;
  namespace: string;
  native: boolean;
}

const fieldRef = (name: string, fieldPath: string): Record<string, unknown> => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
const resources = { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } };
const iptablesArgs = ['istio-iptables', '-p', String(proxyPorts.outbound), '-z', String(proxyPorts.inbound), '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', `${proxyPorts.envoyPrometheus},${proxyPorts.health},${proxyPorts.status}`, '--log_output_level=default:info'];

/** The owning workload of a pod being created (its name may still be a generateName). */
function workloadOf(pod: KubeObject, namespace: string): { name: string; owner: string } {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (owner?.kind === 'ReplicaSet' && pod.metadata.labels?.['pod-template-hash']) {
    const name = owner.name.replace(new RegExp(`-${pod.metadata.labels['pod-template-hash']}$`), '');
    return { name, owner: `kubernetes://apis/apps/v1/namespaces/${namespace}/deployments/${name}` };
  }
  if (owner) return { name: owner.name, owner: `kubernetes://apis/${owner.apiVersion}/namespaces/${namespace}/${owner.kind.toLowerCase()}s/${owner.name}` };
  const name = pod.metadata.name ?? pod.metadata.generateName?.replace(/-$/, '') ?? 'unknown';
  return { name, owner: `kubernetes://apis/v1/namespaces/${namespace}/pods/${name}` };
}

/** Mutates `pod` in place as the sidecar template renders (exported for tests). */
export function injectSidecar(pod: KubeObject, p: SidecarParams): void {
  const podSpec = obj(pod['spec']);
  pod['spec'] = podSpec;
  const labels = pod.metadata.labels ?? {};
  const annotations = pod.metadata.annotations ?? {};
  const appContainers = arr(podSpec['containers']);
  const appNames = appContainers.map((c) => str(c['name']) ?? '');
  const workload = workloadOf(pod, p.namespace);
  const canonicalName = (labels[canonicalNameLabel] ?? labels['app.kubernetes.io/name'] ?? labels['app'] ?? workload.name).slice(0, 63).replace(/-+$/, '');
  const canonicalRevision = labels[canonicalRevisionLabel] ?? labels['app.kubernetes.io/version'] ?? labels['version'] ?? 'latest';

  // Prometheus merge (§2.4): the agent serves the merged stats on 15020; the app's own scrape settings move to an env var.
  const userScrape = annotations['prometheus.io/scrape'];
  const merge = userScrape !== 'false';
  const original = merge && userScrape !== undefined
    ? JSON.stringify({ scrape: userScrape, path: annotations['prometheus.io/path'] ?? '', port: annotations['prometheus.io/port'] ?? '' })
    : undefined;

  const podPorts = appContainers.flatMap((c) => arr(c['ports']).map((port) => ({ ...(port['name'] ? { name: port['name'] } : {}), containerPort: port['containerPort'], protocol: port['protocol'] ?? 'TCP' })));
  const proxy: Record<string, unknown> = {
    name: 'istio-proxy',
    image: proxyImage(p.layout),
    imagePullPolicy: 'IfNotPresent',
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: `${istiodName(p.layout)}.${p.layout.namespace}.svc:15012` },
      fieldRef('POD_NAME', 'metadata.name'),
      fieldRef('POD_NAMESPACE', 'metadata.namespace'),
      fieldRef('INSTANCE_IP', 'status.podIP'),
      fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      fieldRef('HOST_IP', 'status.hostIP'),
      { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.cpu' } } },
      // The mesh config's defaultConfig minus what equals ProxyConfig's defaults (inject/template.go protoToJSON): a
      // revisioned install's discoveryAddress (istiod-<rev>), as the real istiod renders it (upstream/istiod.test.ts).
      { name: 'PROXY_CONFIG', value: `${JSON.stringify({ discoveryAddress: `${istiodName(p.layout)}.${p.layout.namespace}.svc:15012` })}\n` },
      { name: 'ISTIO_META_POD_PORTS', value: `[\n    ${podPorts.map((x) => JSON.stringify(x)).join('\n    ,')}\n]` },
      { name: 'ISTIO_META_APP_CONTAINERS', value: appNames.join(',') },
      { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.memory' } } },
      { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { divisor: '1', resource: 'limits.cpu' } } },
      { name: 'ISTIO_META_CLUSTER_ID', value: clusterId },
      fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
      { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
      { name: 'ISTIO_META_WORKLOAD_NAME', value: workload.name },
      { name: 'ISTIO_META_OWNER', value: workload.owner },
      { name: 'ISTIO_META_MESH_ID', value: trustDomain },
      { name: 'TRUST_DOMAIN', value: trustDomain },
      ...(original ? [{ name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: original }] : []),
    ],
    ports: [{ containerPort: proxyPorts.envoyPrometheus, name: 'http-envoy-prom', protocol: 'TCP' }],
    readinessProbe: { failureThreshold: 4, httpGet: { path: '/healthz/ready', port: proxyPorts.health, scheme: 'HTTP' }, periodSeconds: 15, successThreshold: 1, timeoutSeconds: 3 },
    startupProbe: { failureThreshold: 600, httpGet: { path: '/healthz/ready', port: proxyPorts.health, scheme: 'HTTP' }, periodSeconds: 1, successThreshold: 1, timeoutSeconds: 3 },
    resources,
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    volumeMounts: [
      { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
      { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
      { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/run/secrets/istio/crl', name: 'istio-ca-crl' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
    ],
    ...(p.native ? { restartPolicy: 'Always', lifecycle: { preStop: { exec: { command: ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain'] } } } } : {}),
  };
  const init: Record<string, unknown> = p.layout.cni
    ? {
        name: 'istio-validation', image: proxyImage(p.layout), imagePullPolicy: 'IfNotPresent', args: [...iptablesArgs, '--run-validation', '--skip-rule-apply'], resources,
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 },
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      }
    : {
        name: 'istio-init', image: proxyImage(p.layout), imagePullPolicy: 'IfNotPresent', args: iptablesArgs, resources,
        securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: false, runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 },
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      };
  const userInit = arr(podSpec['initContainers']);
  // reorderPod (§2.2): native: init, proxy, user init containers; classic: istio-validation first, istio-init last, proxy last among containers.
  if (p.native) {
    podSpec['initContainers'] = [init, proxy, ...userInit];
    podSpec['containers'] = appContainers;
  } else {
    podSpec['initContainers'] = p.layout.cni ? [init, ...userInit] : [...userInit, init];
    podSpec['containers'] = [...appContainers, proxy];
  }
  podSpec['volumes'] = [...arr(podSpec['volumes']), ...istioProxyVolumes({ crl: true })];

  pod.metadata.labels = { ...labels, [tlsModeLabel]: 'istio', [canonicalNameLabel]: canonicalName, [canonicalRevisionLabel]: canonicalRevision };
  const initName = str(init['name']) ?? '';
  const status = {
    initContainers: p.native ? [initName, 'istio-proxy'] : [initName],
    containers: p.native ? null : ['istio-proxy'],
    volumes: [...injectedVolumes],
    imagePullSecrets: null,
    revision: p.revision,
  };
  const next: Record<string, string> = { ...annotations, [revLabel]: p.revision };
  if (appNames[0]) {
    next['kubectl.kubernetes.io/default-container'] ??= appNames[0];
    next['kubectl.kubernetes.io/default-logs-container'] ??= appNames[0];
  }
  if (p.layout.cni) {
    Object.assign(next, {
      'sidecar.istio.io/interceptionMode': 'REDIRECT',
      'traffic.sidecar.istio.io/excludeInboundPorts': String(proxyPorts.status),
      'traffic.sidecar.istio.io/includeInboundPorts': '*',
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '*',
    });
  }
  if (merge) Object.assign(next, { 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': String(proxyPorts.status), 'prometheus.io/scrape': 'true' });
  next[statusAnnotation] = JSON.stringify(status);
  pod.metadata.annotations = next;
}
