/**
 * The kind flavor: the cluster of OSM's docs and e2e tests (osm.md §5a, §7): a control-plane node and a
 * worker labelled `ingress-ready=true`, OSM self-installed in `osm-system` (with osm-prometheus, as
 * `osm install --set osm.deployPrometheus=true`), and ingress-nginx from the kind manifest in a namespace
 * the mesh monitors with sidecar injection disabled. Its one component is the OSM control plane; ingress-nginx's
 * data path runs in its pod (the node's image catalogue).
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import { monitoredByLabel, selfInstallLayout, sidecarInjectionAnnotation } from '../mesh/osm/constants.ts';
import type { OsmLayout } from '../mesh/osm/constants.ts';
import { kubernetesService, systemNamespaces } from './base-cluster.ts';
import { osmControlPlaneComponent } from '../mesh/osm/control-plane.ts';
import type { Flavor } from './flavor.ts';
import { node } from './nodes.ts';
import { osmControlPlaneDeployments, osmControlPlaneObjects, osmCrds } from './osm-install.ts';
import { deployment, namespace, service, serviceAccount } from './workloads.ts';
import { renderOsmPrometheusConfig } from '../node/prometheus-config.ts';
import { daprControlPlaneObjects, daprDeployments } from '../dapr/dapr-install.ts';
import { certificateProviderObjects } from '../certificates/certificate-providers.ts';
import { certManagerIssuersComponent } from '../certificates/cert-manager-issuers.ts';
import { daprDemoComponent } from '../dapr/dapr-demo.ts';
import { daprInjectorComponent } from '../dapr/dapr-injector.ts';
import { opaObjects } from '../ext-authz/opa-install.ts';
import { canaryCrd } from '../flagger/canary-crd.ts';
import { flaggerControllerComponent } from '../flagger/flagger-controller.ts';

export const kindClusterName = 'mesh-conformance';
const daprAwaited = daprDeployments();
/** What `kind-up` creates: the kindest/node image scripts/lib/versions.mjs pins (flavor-versions.test.ts keeps them equal). */
export const kindKubernetesVersion = 'v1.27.3';
/** The controller of the ingress-nginx chart kind-up installs (chart 4.7.1, appVersion 1.8.1). */
export const ingressNginxVersion = '1.8.1';
export const ingressNginxImage = `registry.k8s.io/ingress-nginx/controller:v${ingressNginxVersion}`;
export const prometheusImage = 'prom/prometheus:v2.34.0';

/** A node of the kind cluster (`kubeletVersion`: the kindest/node image's Kubernetes; default kind-up's). */
export function kindNode(name: string, arch: 'amd64' | 'arm64', labels: Record<string, string>, controlPlane: boolean, kubeletVersion?: string): KubeObject {
  return node({
    name,
    arch,
    labels,
    providerID: `kind://docker/${kindClusterName}/${name}`,
    ...(controlPlane ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const }] } : {}),
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    containerRuntimeVersion: 'containerd://1.7.13',
    kernelVersion: '6.1.0-18-cloud-amd64',
    capacity: { cpu: '2', memory: '8130008Ki', pods: '110', 'ephemeral-storage': '61255492Ki' },
    kubeletVersion: kubeletVersion ?? kindKubernetesVersion,
  });
}

const nginxLabels = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/part-of': 'ingress-nginx', 'app.kubernetes.io/version': ingressNginxVersion };
const nginxPodLabels = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' };

/** ingress-nginx as the kind provider manifest installs it (hostPort 80/443 on the ingress-ready node). */
function ingressNginxObjects(): KubeObject[] {
  const ns = 'ingress-nginx';
  const controller = deployment({
    name: 'ingress-nginx-controller',
    namespace: ns,
    labels: { ...nginxLabels, 'app.kubernetes.io/component': 'controller' },
    podLabels: nginxPodLabels,
    replicas: 1,
    image: ingressNginxImage,
    containerName: 'controller',
    serviceAccountName: 'ingress-nginx',
    args: ['/nginx-ingress-controller', '--election-id=ingress-nginx-leader', '--controller-class=k8s.io/ingress-nginx', '--ingress-class=nginx',
      '--configmap=$(POD_NAMESPACE)/ingress-nginx-controller', '--watch-ingress-without-class=true', '--publish-status-address=localhost'],
    ports: [{ name: 'http', containerPort: 80, hostPort: 80 }, { name: 'https', containerPort: 443, hostPort: 443 }],
    nodeSelector: { 'ingress-ready': 'true', 'kubernetes.io/os': 'linux' },
    tolerations: [
      { key: 'node-role.kubernetes.io/master', operator: 'Equal', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Equal', effect: 'NoSchedule' },
    ],
    readinessProbe: { httpGet: { path: '/healthz', port: 10254, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 10 },
  });
  return [
    namespace(ns, { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', [monitoredByLabel]: 'osm' }, { [sidecarInjectionAnnotation]: 'disabled' }),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx', labels: { ...nginxLabels, 'app.kubernetes.io/component': 'controller' } },
      spec: { controller: 'k8s.io/ingress-nginx' },
    },
    serviceAccount('ingress-nginx', ns, nginxLabels),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-nginx-controller', namespace: ns, labels: { ...nginxLabels, 'app.kubernetes.io/component': 'controller' } }, data: { 'allow-snippet-annotations': 'false' } },
    controller,
    service({
      name: 'ingress-nginx-controller',
      namespace: ns,
      labels: { ...nginxLabels, 'app.kubernetes.io/component': 'controller' },
      selector: nginxPodLabels,
      type: 'NodePort',
      ports: [{ name: 'http', port: 80, targetPort: 'http', appProtocol: 'http', nodePort: 31080 }, { name: 'https', port: 443, targetPort: 'https', appProtocol: 'https', nodePort: 31443 }],
    }),
  ];
}

/** osm-prometheus as `osm install --set osm.deployPrometheus=true` deploys it (osm.md §6a). */
function osmPrometheusObjects(layout: OsmLayout): KubeObject[] {
  const ns = layout.osmNamespace;
  const labels = { app: 'osm-prometheus', 'app.kubernetes.io/name': 'openservicemesh.io', 'app.kubernetes.io/instance': layout.meshName, 'app.kubernetes.io/version': layout.osmVersion };
  const scrapeConfig = renderOsmPrometheusConfig({ scrapeIntervalSeconds: 10 });
  return [
    serviceAccount('osm-prometheus', ns, labels),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'osm-prometheus-server-conf', namespace: ns, labels }, data: { 'prometheus.yml': scrapeConfig } },
    deployment({
      name: 'osm-prometheus',
      namespace: ns,
      labels,
      podLabels: labels,
      replicas: 1,
      image: prometheusImage,
      containerName: 'prometheus',
      serviceAccountName: 'osm-prometheus',
      args: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus/', '--web.listen-address=:7070', '--storage.tsdb.retention.time=15d'],
      ports: [{ name: 'prometheus', containerPort: 7070 }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
    }),
    service({ name: 'osm-prometheus', namespace: ns, labels, selector: { app: 'osm-prometheus' }, ports: [{ name: 'prometheus', port: 7070 }] }),
  ];
}

/**
 * osm-grafana as `osm install --set osm.deployGrafana=true` deploys it (charts/osm/templates/grafana-*.yaml, values
 * `grafana.image` grafana/grafana:8.2.2, port 3000): its Prometheus data source points at osm-prometheus.
 */
function osmGrafanaObjects(layout: OsmLayout, hooks: SimHooks['mesh']): KubeObject[] {
  const ns = layout.osmNamespace;
  const labels = { app: 'osm-grafana' };
  const prometheusPort = hooks.grafanaDatasourceWrongPort ? 9090 : 7070;
  const datasources = [
    'apiVersion: 1',
    'deleteDatasources:',
    '  - name: Prometheus',
    '    orgId: 1',
    'datasources:',
    '  - name: Prometheus',
    '    type: prometheus',
    '    access: proxy',
    '    orgId: 1',
    `    url: http://osm-prometheus.${ns}.svc:${prometheusPort}`,
    '    version: 1',
    '    editable: true',
    '',
  ].join('\n');
  return [
    serviceAccount('osm-grafana', ns, labels),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'osm-grafana-datasources', namespace: ns, labels }, data: { 'prometheus.yaml': datasources } },
    deployment({
      name: 'osm-grafana', namespace: ns, labels, podLabels: labels, replicas: 1, image: 'grafana/grafana:8.2.2', containerName: 'grafana',
      serviceAccountName: 'osm-grafana', ports: [{ name: 'grafana', containerPort: 3000 }], nodeSelector: { 'kubernetes.io/os': 'linux' },
      readinessProbe: { httpGet: { path: '/api/health', port: 3000 } },
    }),
    service({ name: 'osm-grafana', namespace: ns, labels, selector: labels, ports: [{ name: 'grafana', port: 3000 }] }),
  ];
}

/**
 * Flagger for OSM as its docs install it ("Open Service Mesh Deployments": `helm upgrade -i flagger flagger/flagger
 * --namespace=osm-system --set meshProvider=osm --set metricsServer=http://osm-prometheus.osm-system.svc:7070`): the
 * chart passes `-mesh-provider` only when the value is set, and `-metrics-server` always, `http://prometheus:9090` by
 * default (charts/flagger/templates/deployment.yaml, docs/flagger.md). The image's tag
 * is our choice; the container runs idle, its Canary initialisation is the component src/flagger/flagger-controller.ts
 * (the Canary CRD is installed beside it, as the chart's `crd.create` does).
 */
function flaggerObjects(layout: OsmLayout, hooks: SimHooks['mesh']): KubeObject[] {
  const ns = layout.osmNamespace;
  const labels = { 'app.kubernetes.io/name': 'flagger', 'app.kubernetes.io/instance': 'flagger' };
  const args = [
    '-log-level=info',
    ...(hooks.flaggerDefaultProvider ? [] : ['-mesh-provider=osm']),
    `-metrics-server=${hooks.flaggerDefaultMetricsServer ? 'http://prometheus:9090' : `http://osm-prometheus.${ns}.svc:7070`}`,
    '-enable-config-tracking=true',
  ];
  return [
    serviceAccount('flagger', ns, labels),
    deployment({
      name: 'flagger', namespace: ns, labels, podLabels: { app: 'flagger', ...labels }, replicas: 1, image: 'ghcr.io/fluxcd/flagger:1.36.0', containerName: 'flagger',
      serviceAccountName: 'flagger', args, ports: [{ name: 'http', containerPort: 8080 }],
    }),
  ];
}

const layout = selfInstallLayout();

export const kindFlavor: Flavor<'kind'> = {
  name: 'kind',
  mesh: 'osm',
  shape: 'kind',
  kubernetesVersion: kindKubernetesVersion,
  nodes(hooks: SimHooks) {
    const arch = hooks.cluster.nodeArch;
    return [
      kindNode(`${kindClusterName}-control-plane`, arch, { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' }, true),
      kindNode(`${kindClusterName}-worker`, arch, { 'ingress-ready': 'true' }, false),
    ];
  },
  objects(hooks: SimHooks) {
    return [
      ...systemNamespaces(),
      kubernetesService(),
      namespace(layout.osmNamespace),
      ...osmCrds(),
      // With Dapr, as `kind-up --with dapr` patches it: the placement server's ports (50005, 8201) out of interception;
      // dapr-ports-intercepted leaves that step out, as its demo app shows.
      ...osmControlPlaneObjects({ layout, hooks: hooks.mesh, replicas: 1, outboundPortExclusionList: hooks.mesh.daprDemoApp ? [] : [50005, 8201] }),
      ...osmPrometheusObjects(layout),
      ...osmGrafanaObjects(layout, hooks.mesh),
      canaryCrd(),
      ...flaggerObjects(layout, hooks.mesh),
      // Dapr as `kind-up --with dapr` installs it (OSM's Dapr guide: mTLS off; docs/dapr.md).
      ...daprControlPlaneObjects(hooks.mesh),
      ...certificateProviderObjects(layout.osmNamespace, hooks.mesh),
      // OPA-Envoy as `kind-up --with opa` installs it (MeshConfig left off: the external-authorization check turns it on).
      ...opaObjects(),
      ...ingressNginxObjects(),
    ];
  },
  services: {
    ingressController: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' },
    prometheus: { namespace: layout.osmNamespace, name: 'osm-prometheus' },
  },
  awaited(hooks: SimHooks) {
    return [...osmControlPlaneDeployments(layout, hooks.mesh), ...daprAwaited, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }];
  },
  components: [osmControlPlaneComponent(layout), daprInjectorComponent(), daprDemoComponent(), flaggerControllerComponent(), certManagerIssuersComponent()],
};
