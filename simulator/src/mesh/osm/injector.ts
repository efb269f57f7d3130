/**
 * osm-injector's mutating webhook (`osm-inject.k8s.io`, osm.md §2) as an in-process admission plugin.
 * It acts only while its MutatingWebhookConfiguration exists and selects the pod's namespace, like
 * kube-apiserver calling the webhook; with the configuration present but osm-injector unreachable the
 * create fails (failurePolicy: Fail). Injection adds osm-init, the envoy container, the bootstrap Secret
 * volume, the osm-proxy-uuid label and, with namespace metrics enabled, the prometheus annotations.
 */
import { randomUUID } from 'node:crypto';
import type { AdmissionPlugin, AdmissionRequest, KubeObject } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import type { MeshHooks } from '../../hooks.ts';
import { noHooks } from '../../hooks.ts';
import { arr, obj } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import {
  bootstrapSecretPrefix, bootstrapVolumeName, controlPlanePorts, envoyContainerName, envoyPorts, envoyUid, initContainerName,
  injectorWebhookName, metricsAnnotation, prometheusAnnotations, proxyUuidLabel,
} from './constants.ts';
import { decideInjection, InjectionAnnotationError } from './injection-decision.ts';
import type { MeshView } from './mesh-view.ts';
import { bootstrapCertificateRefusal } from '../../certificates/certificate-providers.ts';

function isTruthyAnnotation(value: string | undefined): boolean {
  return value !== undefined && ['enabled', 'yes', 'true'].includes(value.toLowerCase());
}

/** The iptables script osm-init runs (abridged from pkg/injector/init_container.go). */
const initScript = [
  'iptables-restore --noflush <<EOF',
  '# OSM sidecar interception rules',
  '*nat',
  ':OSM_PROXY_INBOUND - [0:0]',
  ':OSM_PROXY_IN_REDIRECT - [0:0]',
  ':OSM_PROXY_OUTBOUND - [0:0]',
  ':OSM_PROXY_OUT_REDIRECT - [0:0]',
  `-A OSM_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-port ${envoyPorts.inbound}`,
  `-A PREROUTING -p tcp -j OSM_PROXY_INBOUND`,
  `-A OSM_PROXY_INBOUND -p tcp --dport ${envoyPorts.metrics} -j RETURN`,
  `-A OSM_PROXY_INBOUND -p tcp -j OSM_PROXY_IN_REDIRECT`,
  '-A OSM_PROXY_OUT_REDIRECT -p tcp -j REDIRECT --to-port 15001',
  `-A OUTPUT -p tcp -j OSM_PROXY_OUTBOUND`,
  `-A OSM_PROXY_OUTBOUND -o lo ! -d 127.0.0.1/32 -m owner --uid-owner ${envoyUid} -j OSM_PROXY_IN_REDIRECT`,
  `-A OSM_PROXY_OUTBOUND -m owner --uid-owner ${envoyUid} -j RETURN`,
  '-A OSM_PROXY_OUTBOUND -d 127.0.0.1/32 -j RETURN',
  '-A OSM_PROXY_OUTBOUND -j OSM_PROXY_OUT_REDIRECT',
  'COMMIT',
  'EOF',
].join('\n');

export interface InjectorOptions {
  view: MeshView;
  hooks?: MeshHooks;
  /** The envoy log level from MeshConfig `sidecar.logLevel` (default `error`). */
  logLevel?: () => string;
}

/** Builds the admission plugin; register it with store.addAdmissionPlugin. */
export function createInjectorPlugin(opts: InjectorOptions): AdmissionPlugin & { stop(): void } {
  let stopped = false;
  const { view } = opts;
  const hooks = opts.hooks ?? noHooks.mesh;
  const layout = view.layout;

  return {
    name: injectorWebhookName,
    endpoint: { namespace: layout.osmNamespace, service: 'osm-injector', path: '/mutate-pod-creation' },
    stop() {
      stopped = true;
    },
    async mutate(req: AdmissionRequest): Promise<void> {
      if (stopped || req.operation !== 'CREATE' || req.resource.kind !== 'Pod' || req.resource.group !== '' || req.subresource) return;
      const namespace = req.namespace ?? req.object.metadata.namespace;
      if (!view.webhookApplies('MutatingWebhookConfiguration', layout.injectorWebhookConfigName, injectorWebhookName, namespace)) return;
      if (!view.componentReachable('osm-injector')) {
        // failurePolicy: Fail, with the message kube-apiserver gives for a Service without endpoints, or without the
        // Service (the OSM add-on disabled: its Services are gone, the runtime-created webhook configuration stays).
        const why = view.service(layout.osmNamespace, 'osm-injector') ? 'no endpoints available for service "osm-injector"' : 'service "osm-injector" not found';
        throw new ApiError(500, 'InternalError',
          `Internal error occurred: failed calling webhook "${injectorWebhookName}": failed to call webhook: Post "https://osm-injector.${layout.osmNamespace}.svc:${controlPlanePorts.injector}/mutate-pod-creation?timeout=30s": ${why}`);
      }
      if (hooks.skipInjection) return;

      const ns = view.namespace(namespace);
      let decision;
      try {
        decision = decideInjection(req.object, ns, { meshName: layout.meshName, osmNamespace: layout.osmNamespace });
      } catch (error) {
        if (error instanceof InjectionAnnotationError) {
          throw new ApiError(400, '', `admission webhook "${injectorWebhookName}" denied the request: ${error.message}`);
        }
        throw error;
      }
      if (!decision.inject) return;
      // The sidecar's bootstrap certificate is issued here (pkg/injector/patch.go): a provider that cannot issue fails the admission.
      const refusal = bootstrapCertificateRefusal(hooks);
      if (refusal) throw new ApiError(400, '', `admission webhook "${injectorWebhookName}" denied the request: ${refusal}`);

      const uuid = randomUUID();
      const metricsEnabled = isTruthyAnnotation(ns?.metadata.annotations?.[metricsAnnotation]) && !hooks.ignoreMetricsAnnotation;
      injectSidecar(req.object, { uuid, namespace: namespace ?? 'default', envoyImage: layout.images.envoy, initImage: layout.images.init, logLevel: opts.logLevel?.() ?? 'error', metricsEnabled });
      // sideEffects: NoneOnDryRun: the bootstrap Secret is only created for real requests.
      if (!req.dryRun) await createBootstrapSecret(view, req.object, uuid, namespace ?? 'default');
    },
  };
}

export interface SidecarParams {
  uuid: string;
  namespace: string;
  envoyImage: string;
  initImage: string;
  logLevel: string;
  metricsEnabled: boolean;
}

/** Mutates `pod` in place the way OSM's JSON patch does. Exported for tests. */
export function injectSidecar(pod: KubeObject, p: SidecarParams): void {
  const podSpec = obj(pod['spec']);
  pod['spec'] = podSpec;
  const serviceAccount = typeof podSpec['serviceAccountName'] === 'string' && podSpec['serviceAccountName'] !== '' ? podSpec['serviceAccountName'] : 'default';

  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [proxyUuidLabel]: p.uuid };
  if (p.metricsEnabled) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...prometheusAnnotations };

  podSpec['initContainers'] = [
    ...arr(podSpec['initContainers']),
    {
      name: initContainerName,
      image: p.initImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh'],
      args: ['-c', initScript],
      securityContext: { privileged: false, runAsUser: 0, runAsNonRoot: false, capabilities: { add: ['NET_ADMIN'] } },
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      env: [{ name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }],
    },
  ];
  podSpec['containers'] = [
    ...arr(podSpec['containers']),
    {
      name: envoyContainerName,
      image: p.envoyImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['envoy'],
      args: ['--log-level', p.logLevel, '--config-path', '/etc/envoy/bootstrap.yaml', '--service-cluster', `${serviceAccount}.${p.namespace}`],
      ports: [
        { name: 'proxy-admin', containerPort: envoyPorts.admin, protocol: 'TCP' },
        { name: 'proxy-inbound', containerPort: envoyPorts.inbound, protocol: 'TCP' },
        { name: 'proxy-metrics', containerPort: envoyPorts.metrics, protocol: 'TCP' },
      ],
      securityContext: { allowPrivilegeEscalation: false, runAsUser: envoyUid },
      resources: {},
      volumeMounts: [{ name: bootstrapVolumeName, mountPath: '/etc/envoy', readOnly: true }],
      env: [
        { name: 'POD_UID', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
        { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.serviceAccountName' } } },
      ],
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    },
  ];
  podSpec['volumes'] = [
    ...arr(podSpec['volumes']),
    { name: bootstrapVolumeName, secret: { secretName: `${bootstrapSecretPrefix}${p.uuid}`, defaultMode: 420 } },
  ];
}

async function createBootstrapSecret(view: MeshView, pod: KubeObject, uuid: string, namespace: string): Promise<void> {
  const bootstrap = [
    'admin:',
    '  access_log:',
    '  - name: envoy.access_loggers.stream',
    '  address:',
    '    socket_address:',
    '      address: 127.0.0.1',
    `      port_value: ${envoyPorts.admin}`,
    'dynamic_resources:',
    '  ads_config:',
    '    api_type: GRPC',
    '    grpc_services:',
    '    - envoy_grpc:',
    '        cluster_name: osm-controller',
    '  cds_config: { ads: {}, resource_api_version: V3 }',
    '  lds_config: { ads: {}, resource_api_version: V3 }',
    `node: { id: ${uuid} }`,
    'static_resources:',
    '  clusters:',
    '  - name: osm-controller',
    `    load_assignment: { cluster_name: osm-controller, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: osm-controller.${view.layout.osmNamespace}.svc.cluster.local, port_value: ${controlPlanePorts.controllerAds} } } } }] }] }`,
    '',
  ].join('\n');
  await view.store.create(typeFor(view.store, 'Secret'), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `${bootstrapSecretPrefix}${uuid}`,
      namespace,
      labels: { [proxyUuidLabel]: uuid, 'app.kubernetes.io/name': 'openservicemesh.io', 'app.kubernetes.io/instance': view.layout.meshName },
      annotations: { 'openservicemesh.io/pod-name': pod.metadata.name ?? '' },
    },
    type: 'Opaque',
    data: {
      'bootstrap.yaml': Buffer.from(bootstrap).toString('base64'),
    },
  });
}
