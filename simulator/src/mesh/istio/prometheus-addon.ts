/**
 * The Prometheus addon of istio-kind (`samples/addons/prometheus.yaml`, istio.md §5.2): ServiceAccount, ConfigMap,
 * Deployment and Service `prometheus` (port `http` 9090) in istio-system, the pod labelled
 * `sidecar.istio.io/inject: "false"`. Of the sample's jobs, the one that scrapes the mesh is modelled:
 * `kubernetes-pods` (keep `prometheus.io/scrape=true`, path and port from the annotations, `honor_labels`, labelmap of
 * the pod's labels, `namespace` and `pod` from the pod, drop pods that are not running). The node runs Debian's real
 * Prometheus with that job (the pod role over HTTP SD, node/prometheus-pod-discovery.ts), else the stand-in with the
 * same target labels; as a simulator component it registers the addon's image with this configuration.
 */
import type { KubeObject } from '../../cluster/types.ts';
import type { SimComponent } from '../../component.ts';
import { imageRepository } from '../../node/images.ts';
import { startPrometheusContainerWith } from '../../node/prometheus-container.ts';
import type { PrometheusScrapeSetup } from '../../node/prometheus-container.ts';
import type { PrometheusConfigOptions } from '../../node/prometheus-config.ts';
import type { StandinRelabeling } from '../../node/prometheus-standin.ts';

export const prometheusAddonImage = 'docker.io/prom/prometheus:v3.10.0';

/** The sample's `kubernetes-pods` job. */
export function renderIstioPrometheusConfig(opts: PrometheusConfigOptions): string {
  const interval = `${opts.scrapeIntervalSeconds}s`;
  const sd = opts.httpDiscovery
    ? ['    http_sd_configs:', `      - url: ${opts.httpDiscovery.url}`, `        refresh_interval: ${opts.httpDiscovery.refreshSeconds}s`]
    : ['    kubernetes_sd_configs:', '      - role: pod'];
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    '  evaluation_interval: 1m',
    'scrape_configs:',
    '  - job_name: kubernetes-pods',
    '    honor_labels: true',
    ...sd,
    '    relabel_configs:',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]',
    '        action: keep',
    '        regex: true',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape_slow]',
    '        action: drop',
    '        regex: true',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme]',
    '        action: replace',
    '        regex: (https?)',
    '        target_label: __scheme__',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]',
    '        action: replace',
    '        target_label: __metrics_path__',
    '        regex: (.+)',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port, __meta_kubernetes_pod_ip]',
    '        action: replace',
    '        regex: (\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})',
    "        replacement: '[$2]:$1'",
    '        target_label: __address__',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port, __meta_kubernetes_pod_ip]',
    '        action: replace',
    '        regex: (\\d+);((([0-9]+?)(\\.|$)){4})',
    '        replacement: $2:$1',
    '        target_label: __address__',
    '      - action: labelmap',
    '        regex: __meta_kubernetes_pod_annotation_prometheus_io_param_(.+)',
    '        replacement: __param_$1',
    '      - action: labelmap',
    '        regex: __meta_kubernetes_pod_label_(.+)',
    '      - source_labels: [__meta_kubernetes_namespace]',
    '        action: replace',
    '        target_label: namespace',
    '      - source_labels: [__meta_kubernetes_pod_name]',
    '        action: replace',
    '        target_label: pod',
    '      - source_labels: [__meta_kubernetes_pod_phase]',
    '        regex: Pending|Succeeded|Failed|Completed',
    '        action: drop',
    '      - source_labels: [__meta_kubernetes_pod_node_name]',
    '        action: replace',
    '        target_label: node',
    '',
  ].join('\n');
}

/** Prometheus's label-name sanitising. */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** The job's target labels for a pod (labelmap of its labels, then namespace, pod and node). */
export function istioTargetLabels(pod: KubeObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) labels[sanitize(k)] = v;
  labels['namespace'] = pod.metadata.namespace ?? '';
  labels['pod'] = pod.metadata.name ?? '';
  const node = (pod['spec'] as { nodeName?: string } | undefined)?.nodeName;
  if (node) labels['node'] = node;
  return labels;
}

export const istioRelabeling: StandinRelabeling = { targetLabels: istioTargetLabels, keep: () => true, dropped: [], honorLabels: true };
export const istioAddonScrapeSetup: PrometheusScrapeSetup = { render: renderIstioPrometheusConfig, relabeling: istioRelabeling };

/** The addon's objects (samples/addons/prometheus.yaml, reduced to the server). */
export function prometheusAddonObjects(namespace: string): KubeObject[] {
  const labels = { 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'prometheus', 'app.kubernetes.io/version': 'v3.10.0', 'app.kubernetes.io/part-of': 'prometheus' };
  const selector = { 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'prometheus' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prometheus', namespace, labels } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prometheus', namespace, labels }, data: { 'prometheus.yml': renderIstioPrometheusConfig({ scrapeIntervalSeconds: 15 }), 'allow-snippet-annotations': 'false' } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'prometheus', namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
          spec: {
            serviceAccountName: 'prometheus',
            enableServiceLinks: true,
            containers: [{
              name: 'prometheus-server',
              image: prometheusAddonImage,
              imagePullPolicy: 'IfNotPresent',
              args: ['--storage.tsdb.retention.time=15d', '--config.file=/etc/config/prometheus.yml', '--storage.tsdb.path=/data', '--web.console.libraries=/etc/prometheus/console_libraries', '--web.console.templates=/etc/prometheus/consoles', '--web.enable-lifecycle'],
              ports: [{ containerPort: 9090 }],
              readinessProbe: { httpGet: { path: '/-/ready', port: 9090, scheme: 'HTTP' }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 4, failureThreshold: 3, successThreshold: 1 },
              livenessProbe: { httpGet: { path: '/-/healthy', port: 9090, scheme: 'HTTP' }, initialDelaySeconds: 30, periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 3, successThreshold: 1 },
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/config' }, { name: 'storage-volume', mountPath: '/data' }],
            }],
            volumes: [{ name: 'config-volume', configMap: { name: 'prometheus' } }, { name: 'storage-volume', emptyDir: {} }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'prometheus', namespace, labels }, spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: 9090, protocol: 'TCP', targetPort: 9090 }] } },
  ];
}

/** Runs the addon's image with the addon's scrape configuration (registered before the built-in Prometheus handler, so it wins). */
export function prometheusAddonComponent(): SimComponent {
  return {
    name: 'prometheus-addon',
    start(ctx) {
      const repo = imageRepository(prometheusAddonImage);
      ctx.images.register({ kind: 'prometheus', matches: (r) => r === repo, start: (c) => startPrometheusContainerWith(c, istioAddonScrapeSetup) });
      return Promise.resolve({ stop: () => undefined });
    },
  };
}
