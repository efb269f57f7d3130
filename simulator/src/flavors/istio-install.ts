/**
 * What installing Istio 1.30 puts in the cluster for one layout (mesh/istio/constants.ts): the istiod chart of a
 * revisioned install (istio.md §1.3): ServiceAccount, the mesh-config and injector ConfigMaps `istio-<rev>` and
 * `istio-sidecar-injector-<rev>`, Deployment and Service `istiod-<rev>`; on AKS also the CNI node agent DaemonSet.
 * The injector's MutatingWebhookConfiguration, the `istio-ca-root-cert` ConfigMaps and the GatewayClasses are not
 * here: the simulated istiod writes them at runtime (mesh/istio/), as upstream istiod patches or creates them.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { MeshHooks } from '../hooks.ts';
import { istiodName, istiodPorts, istioVersion, pilotImage, revLabel } from '../mesh/istio/constants.ts';
import type { IstioLayout } from '../mesh/istio/constants.ts';
import { renderMeshConfig } from '../mesh/istio/mesh-config.ts';
import { serviceAccount } from './workloads.ts';

/** The revision the cluster's istiod really runs: the layout's, unless a hook leaves an older one behind. */
export function servedRevision(layout: IstioLayout, hooks: MeshHooks): string {
  return hooks.istiodServedRevision ?? layout.revision;
}

function chartLabels(layout: IstioLayout): Record<string, string> {
  return {
    app: 'istiod', istio: 'pilot', [revLabel]: layout.revision, release: 'istiod',
    'install.operator.istio.io/owning-resource': 'unknown', 'operator.istio.io/component': 'Pilot',
    'app.kubernetes.io/name': 'istiod', 'app.kubernetes.io/part-of': 'istio', 'app.kubernetes.io/instance': 'istiod',
    'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/version': istioVersion, 'helm.sh/chart': `istiod-${istioVersion}`,
  };
}

/** istiod's env: what the chart sets, plus ENABLE_NATIVE_SIDECARS where the install (or a hook) sets it. */
function istiodEnv(layout: IstioLayout, hooks: MeshHooks): Record<string, unknown>[] {
  const native = hooks.forceClassicSidecars ? 'false' : layout.nativeSidecarsEnv;
  const fieldRef = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
  return [
    { name: 'REVISION', value: servedRevision(layout, hooks) },
    { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
    fieldRef('POD_NAME', 'metadata.name'),
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    { name: 'KUBECONFIG', value: '/var/run/secrets/remote/config' },
    { name: 'CA_TRUSTED_NODE_ACCOUNTS', value: `${layout.namespace}/ztunnel` },
    { name: 'PILOT_TRACE_SAMPLING', value: '1' },
    { name: 'PILOT_ENABLE_ANALYSIS', value: 'false' },
    { name: 'CLUSTER_ID', value: 'Kubernetes' },
    { name: 'PLATFORM', value: '' },
    ...(native ? [{ name: 'ENABLE_NATIVE_SIDECARS', value: native }] : []),
  ];
}

/** The istiod objects of the chart, in apply order (ConfigMaps before the Deployment that mounts them). */
export function istiodObjects(layout: IstioLayout, hooks: MeshHooks): KubeObject[] {
  const ns = layout.namespace;
  const name = istiodName(layout);
  const rev = servedRevision(layout, hooks);
  const labels = chartLabels(layout);
  const podLabels = { app: 'istiod', [revLabel]: layout.revision, 'install.operator.istio.io/owning-resource': 'unknown', 'sidecar.istio.io/inject': 'false', 'operator.istio.io/component': 'Pilot', istio: 'pilot', 'istio.io/dataplane-mode': 'none' };
  const selector = { app: 'istiod', [revLabel]: layout.revision };
  return [
    serviceAccount(name, ns, { app: 'istiod', release: 'istiod', [revLabel]: layout.revision }),
    {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: `istio-${rev}`, namespace: ns, labels: { [revLabel]: rev, release: 'istiod', 'operator.istio.io/component': 'Pilot', 'install.operator.istio.io/owning-resource': 'unknown' } },
      data: { mesh: renderMeshConfig(layout, rev), meshNetworks: 'networks: {}' },
    },
    {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: `istio-sidecar-injector-${rev}`, namespace: ns, labels: { [revLabel]: rev, release: 'istiod', 'operator.istio.io/component': 'Pilot', 'install.operator.istio.io/owning-resource': 'unknown' } },
      data: {
        config: ['defaultTemplates: [sidecar]', 'policy: enabled', 'alwaysInjectSelector: []', 'neverInjectSelector: []', 'injectedAnnotations: {}', 'template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"', 'templates:', '  sidecar: |', '    # the sidecar template of istiod/files/injection-template.yaml; the simulated injector renders it in code (mesh/istio/injector.ts)', '  gateway: |', '    # istiod/files/gateway-injection-template.yaml', ''].join('\n'),
        values: JSON.stringify({
          global: { hub: layout.hub, tag: layout.tag, istioNamespace: ns, proxy: { image: 'proxyv2', autoInject: 'enabled', holdApplicationUntilProxyStarts: false, startupProbe: { enabled: true, failureThreshold: 600 } }, proxy_init: { image: 'proxyv2' } },
          revision: rev,
          pilot: { cni: { enabled: layout.cni, provider: 'default' } },
          sidecarInjectorWebhook: { rewriteAppHTTPProbe: true, enableNamespacesByDefault: false, reinvocationPolicy: 'Never' },
        }),
      },
    },
    {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas: layout.istiodReplicas,
        strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' } },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: podLabels, annotations: { 'prometheus.io/port': String(istiodPorts.monitoring), 'prometheus.io/scrape': 'true', 'sidecar.istio.io/inject': 'false' } },
          spec: {
            serviceAccountName: name,
            tolerations: [{ key: 'cni.istio.io/not-ready', operator: 'Exists' }],
            containers: [{
              name: 'discovery',
              image: pilotImage(layout),
              imagePullPolicy: 'IfNotPresent',
              args: ['discovery', `--monitoringAddr=:${istiodPorts.monitoring}`, '--log_output_level=default:info', '--domain', 'cluster.local', '--keepaliveMaxServerConnectionAge', '30m'],
              ports: [
                { containerPort: istiodPorts.readiness, protocol: 'TCP', name: 'http-debug' },
                { containerPort: istiodPorts.grpcXds, protocol: 'TCP', name: 'grpc-xds' },
                { containerPort: istiodPorts.httpsDns, protocol: 'TCP', name: 'tls-xds' },
                { containerPort: istiodPorts.webhookTarget, protocol: 'TCP', name: 'https-webhooks' },
              ],
              readinessProbe: { httpGet: { path: '/ready', port: istiodPorts.readiness }, initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 5 },
              env: istiodEnv(layout, hooks),
              resources: { requests: { cpu: '500m', memory: '2048Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: ns, labels: { app: 'istiod', istio: 'pilot', [revLabel]: layout.revision, release: 'istiod', 'operator.istio.io/component': 'Pilot', 'app.kubernetes.io/name': 'istiod', 'app.kubernetes.io/part-of': 'istio' } },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'grpc-xds', port: istiodPorts.grpcXds, protocol: 'TCP', targetPort: istiodPorts.grpcXds },
          { name: 'https-dns', port: istiodPorts.httpsDns, protocol: 'TCP', targetPort: istiodPorts.httpsDns },
          { name: 'https-webhook', port: istiodPorts.webhook, protocol: 'TCP', targetPort: istiodPorts.webhookTarget },
          { name: 'http-monitoring', port: istiodPorts.monitoring, protocol: 'TCP', targetPort: istiodPorts.monitoring },
        ],
      },
    },
  ];
}

/** The AKS add-on's Istio CNI node agent (istio.md §7): a DaemonSet on every node, in the istiod namespace. */
export function aksCniObjects(layout: IstioLayout): KubeObject[] {
  const name = 'azure-service-mesh-istio-cni-addon-node';
  const labels = { 'k8s-app': name, 'kubernetes.azure.com/managedby': 'aks', [revLabel]: layout.revision };
  return [
    serviceAccount(name, layout.namespace, labels),
    {
      apiVersion: 'apps/v1', kind: 'DaemonSet',
      metadata: { name, namespace: layout.namespace, labels },
      spec: {
        selector: { matchLabels: { 'k8s-app': name } },
        template: {
          metadata: { labels: { 'k8s-app': name, 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none' }, annotations: { 'prometheus.io/port': '15014', 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' } },
          spec: {
            serviceAccountName: name,
            hostNetwork: true,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }, { key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoExecute', operator: 'Exists' }],
            priorityClassName: 'system-node-critical',
            containers: [{
              name: 'install-cni',
              image: `${layout.hub}/install-cni:${layout.tag}`,
              args: ['--log_output_level=info'],
              ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
              securityContext: { privileged: true, runAsGroup: 0, runAsUser: 0, runAsNonRoot: false },
            }],
          },
        },
      },
    },
  ];
}

/** The Deployments a simulator start waits for (istiod; the CNI DaemonSet is not awaited). */
export function istiodDeployment(layout: IstioLayout): { namespace: string; name: string } {
  return { namespace: layout.namespace, name: istiodName(layout) };
}
