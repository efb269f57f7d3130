/**
 * What `osm install` (kind) or the AKS add-on puts in the cluster (osm.md §7): the CRDs, MeshConfig
 * `osm-mesh-config` with v1.2 Helm defaults, the osm-controller / osm-injector / osm-bootstrap Deployments
 * and their Services. The webhook configurations are not here: OSM creates them at runtime
 * (mesh/osm/webhook-configs.ts), once osm-injector and osm-controller serve.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { MeshHooks } from '../hooks.ts';
import { certificateManagerArgs } from '../certificates/certificate-providers.ts';
import { controlPlanePorts } from '../mesh/osm/constants.ts';
import type { OsmLayout } from '../mesh/osm/constants.ts';
import { ingressBackendCrd, meshConfigCrd } from './crds.ts';
import { smiCrds } from './smi-crds.ts';
import { deployment, osmNodeAffinity, service, serviceAccount } from './workloads.ts';

function osmLabels(layout: OsmLayout, app: string): Record<string, string> {
  return { app, 'app.kubernetes.io/name': 'openservicemesh.io', 'app.kubernetes.io/instance': layout.meshName, 'app.kubernetes.io/version': layout.osmVersion };
}

/** MeshConfig `osm-mesh-config` with the Helm defaults of OSM v1.2 (charts/osm/values.yaml). */
export function meshConfig(layout: OsmLayout, outboundPortExclusionList: number[] = []): KubeObject {
  return {
    apiVersion: 'config.openservicemesh.io/v1alpha2',
    kind: 'MeshConfig',
    metadata: { name: 'osm-mesh-config', namespace: layout.osmNamespace },
    spec: {
      sidecar: {
        enablePrivilegedInitContainer: false,
        logLevel: 'error',
        maxDataPlaneConnections: 0,
        configResyncInterval: '0s',
        envoyImage: layout.images.envoy,
        initContainerImage: layout.images.init,
        tlsMinProtocolVersion: 'TLSv1_2',
        tlsMaxProtocolVersion: 'TLSv1_3',
        localProxyMode: 'Localhost',
      },
      traffic: {
        enableEgress: true,
        enablePermissiveTrafficPolicyMode: true,
        outboundPortExclusionList,
        inboundPortExclusionList: [],
        outboundIPRangeExclusionList: [],
        outboundIPRangeInclusionList: [],
        networkInterfaceExclusionList: [],
        inboundExternalAuthorization: { enable: false, address: '', port: 0, statPrefix: 'inboundExtAuthz', timeout: '1s', failureModeAllow: false },
      },
      observability: {
        osmLogLevel: 'info',
        enableDebugServer: false,
        tracing: { enable: false, port: 9411, address: `jaeger.${layout.osmNamespace}.svc.cluster.local`, endpoint: '/api/v2/spans' },
      },
      certificate: { serviceCertValidityDuration: '24h', certKeyBitSize: 2048 },
      featureFlags: {
        enableWASMStats: true,
        enableEgressPolicy: true,
        enableMulticlusterMode: false,
        enableSnapshotCacheMode: false,
        enableAsyncProxyServiceMapping: false,
        enableIngressBackendPolicy: true,
        enableEnvoyActiveHealthChecks: false,
        enableRetryPolicy: false,
      },
    },
  };
}

export interface OsmInstallOptions {
  layout: OsmLayout;
  hooks: MeshHooks;
  /** MeshConfig traffic.outboundPortExclusionList (kind with Dapr: the placement server's ports, as OSM's Dapr guide sets them). */
  outboundPortExclusionList?: number[];
  /** Replicas of osm-controller and osm-injector (AKS shows 2/2). */
  replicas: number;
}

/** The CRDs osm-bootstrap installs (OSM's and SMI's), in the order they must exist before their instances. */
export function osmCrds(): KubeObject[] {
  return [ingressBackendCrd(), meshConfigCrd(), ...smiCrds()];
}

/**
 * The control-plane Deployments a simulator start waits for. osm-controller is left out when a hook
 * (`controllerDown`) keeps it at zero replicas.
 */
export function osmControlPlaneDeployments(layout: OsmLayout, hooks: MeshHooks): { namespace: string; name: string }[] {
  const ns = layout.osmNamespace;
  return [
    ...(hooks.controllerDown ? [] : [{ namespace: ns, name: 'osm-controller' }]),
    { namespace: ns, name: 'osm-injector' },
    { namespace: ns, name: 'osm-bootstrap' },
  ];
}

/** The namespaced OSM objects (MeshConfig, service accounts, Deployments, Services). */
export function osmControlPlaneObjects(opts: OsmInstallOptions): KubeObject[] {
  const { layout } = opts;
  const ns = layout.osmNamespace;
  const scrape = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(controlPlanePorts.controllerHealth) };
  const common = { affinity: osmNodeAffinity, nodeSelector: { 'kubernetes.io/os': 'linux' } };
  // controllerDown: osm-controller is scaled to zero, so it never serves (0 ready replicas).
  const controllerReplicas = opts.hooks.controllerDown ? 0 : opts.replicas;
  return [
    meshConfig(layout, opts.outboundPortExclusionList),
    serviceAccount('osm-controller', ns, osmLabels(layout, 'osm-controller')),
    serviceAccount('osm-injector', ns, osmLabels(layout, 'osm-injector')),
    serviceAccount('osm-bootstrap', ns, osmLabels(layout, 'osm-bootstrap')),
    deployment({
      name: 'osm-controller',
      namespace: ns,
      labels: { ...osmLabels(layout, 'osm-controller'), meshName: layout.meshName },
      podLabels: { ...osmLabels(layout, 'osm-controller') },
      podAnnotations: scrape,
      replicas: controllerReplicas,
      image: layout.images.controller,
      serviceAccountName: 'osm-controller',
      args: ['--verbosity', 'info', '--osm-namespace', ns, '--osm-version', layout.osmVersion, '--osm-service-account', 'osm-controller', '--mesh-name', layout.meshName,
        '--validator-webhook-config', layout.validatorWebhookConfigName, '--ca-bundle-secret-name', 'osm-ca-bundle', ...certificateManagerArgs(opts.hooks), '--trust-domain', 'cluster.local'],
      ports: [
        { name: 'admin-port', containerPort: 15000 },
        { name: 'osm-port-15128', containerPort: controlPlanePorts.controllerAds },
        { name: 'osm-port-9092', containerPort: controlPlanePorts.controllerDebug },
        { name: 'osm-port-9091', containerPort: controlPlanePorts.controllerHealth },
        { name: 'validator', containerPort: controlPlanePorts.validator },
      ],
      readinessProbe: { httpGet: { path: '/health/ready', port: controlPlanePorts.controllerHealth, scheme: 'HTTP' }, initialDelaySeconds: 1, timeoutSeconds: 5 },
      livenessProbe: { httpGet: { path: '/health/alive', port: controlPlanePorts.controllerHealth, scheme: 'HTTP' }, initialDelaySeconds: 1, timeoutSeconds: 5 },
      ...common,
    }),
    deployment({
      name: 'osm-injector',
      namespace: ns,
      labels: osmLabels(layout, 'osm-injector'),
      podLabels: osmLabels(layout, 'osm-injector'),
      podAnnotations: scrape,
      replicas: opts.replicas,
      image: layout.images.injector,
      serviceAccountName: 'osm-injector',
      args: ['--verbosity', 'info', '--osm-namespace', ns, '--osm-version', layout.osmVersion, '--mesh-name', layout.meshName,
        '--webhook-config-name', layout.injectorWebhookConfigName, '--ca-bundle-secret-name', 'osm-ca-bundle', ...certificateManagerArgs(opts.hooks), '--trust-domain', 'cluster.local'],
      ports: [{ name: 'sidecar-inject', containerPort: controlPlanePorts.injector }, { name: 'metrics', containerPort: controlPlanePorts.controllerHealth }],
      readinessProbe: { httpGet: { path: '/healthz', port: controlPlanePorts.controllerHealth, scheme: 'HTTP' }, initialDelaySeconds: 1, timeoutSeconds: 5 },
      livenessProbe: { httpGet: { path: '/healthz', port: controlPlanePorts.controllerHealth, scheme: 'HTTP' }, initialDelaySeconds: 1, timeoutSeconds: 5 },
      ...common,
    }),
    deployment({
      name: 'osm-bootstrap',
      namespace: ns,
      labels: osmLabels(layout, 'osm-bootstrap'),
      podLabels: osmLabels(layout, 'osm-bootstrap'),
      podAnnotations: scrape,
      replicas: 1,
      image: layout.images.bootstrap,
      serviceAccountName: 'osm-bootstrap',
      args: ['--verbosity', 'info', '--osm-namespace', ns, '--osm-version', layout.osmVersion, '--ca-bundle-secret-name', 'osm-ca-bundle', ...certificateManagerArgs(opts.hooks), '--enable-mesh-root-certificate=false'],
      ports: [{ name: 'crdconversion', containerPort: 9443 }, { name: 'metrics', containerPort: controlPlanePorts.controllerHealth }],
      readinessProbe: { httpGet: { path: '/healthz', port: controlPlanePorts.controllerHealth, scheme: 'HTTP' }, initialDelaySeconds: 1, timeoutSeconds: 5 },
      ...common,
    }),
    service({
      name: 'osm-controller', namespace: ns, labels: osmLabels(layout, 'osm-controller'), selector: { app: 'osm-controller' },
      ports: [
        { name: 'osm-port-15128', port: controlPlanePorts.controllerAds },
        { name: 'debug-port', port: controlPlanePorts.controllerDebug },
        { name: 'healthz', port: controlPlanePorts.controllerHealth },
      ],
    }),
    service({ name: 'osm-validator', namespace: ns, labels: osmLabels(layout, 'osm-controller'), selector: { app: 'osm-controller' }, ports: [{ name: 'validator', port: controlPlanePorts.validator }] }),
    service({ name: 'osm-injector', namespace: ns, labels: osmLabels(layout, 'osm-injector'), selector: { app: 'osm-injector' }, ports: [{ name: 'sidecar-inject', port: controlPlanePorts.injector }] }),
    service({ name: 'osm-bootstrap', namespace: ns, labels: osmLabels(layout, 'osm-bootstrap'), selector: { app: 'osm-bootstrap' }, ports: [{ name: 'crdconversion', port: 9443 }, { name: 'health', port: controlPlanePorts.controllerHealth }] }),
  ];
}
