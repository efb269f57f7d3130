/**
 * OSM's `osm-prometheus-server-conf` (charts/osm/templates/prometheus-configmap.yaml, osm.md §6a), reduced to the
 * `kubernetes-pods` job that scrapes the sidecars: annotation-driven target selection, the `source_*` relabels and
 * the kept metric names. Rendered once for the ConfigMap the kind flavor installs (in-cluster form) and once for the
 * Prometheus process the simulated node runs. Debian's Prometheus is built without Kubernetes service discovery
 * (`kubernetes_sd_configs` is an unknown field there), so that form swaps it for `http_sd_configs` against the
 * node's pod-discovery endpoint (prometheus-pod-discovery.ts), which hands out the same `__meta_kubernetes_pod_*`
 * labels; every relabel rule below then applies unchanged.
 */

/** The metric names OSM's `metric_relabel_configs` keeps (osm.md §6a), as one anchored regex. */
export const osmKeptMetricsRegex = [
  'envoy_server_live',
  'envoy_cluster_health_check_.*',
  'envoy_cluster_upstream_rq_xx',
  'envoy_cluster_upstream_cx_active',
  'envoy_cluster_upstream_cx_tx_bytes_total',
  'envoy_cluster_upstream_cx_rx_bytes_total',
  'envoy_cluster_upstream_rq_total',
  'envoy_cluster_upstream_cx_destroy_remote_with_active_rq',
  'envoy_cluster_upstream_cx_connect_timeout',
  'envoy_cluster_upstream_cx_destroy_local_with_active_rq',
  'envoy_cluster_upstream_rq_pending_failure_eject',
  'envoy_cluster_upstream_rq_pending_overflow',
  'envoy_cluster_upstream_rq_timeout',
  'envoy_cluster_upstream_rq_rx_reset',
  'envoy_cluster_upstream_rq_retry.*',
  'osm.*',
].join('|');

/** Whether OSM's config keeps a metric name (Prometheus anchors relabel regexes at both ends). */
export function osmKeepsMetric(name: string): boolean {
  return new RegExp(`^(?:${osmKeptMetricsRegex})$`).test(name);
}

/** Labels OSM's config drops from every target. */
export const osmDroppedLabels = ['pod_template_hash', 'version', 'osm_envoy_uid'] as const;

export interface PrometheusConfigOptions {
  scrapeIntervalSeconds: number;
  /** The simulated node's form: pods come from an HTTP SD endpoint instead of Kubernetes SD. */
  httpDiscovery?: { url: string; refreshSeconds: number };
}

/** OSM's prometheus.yml (kubernetes-pods job). */
export function renderOsmPrometheusConfig(opts: PrometheusConfigOptions): string {
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
    ...sd,
    '    relabel_configs:',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]',
    '        action: keep',
    '        regex: true',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]',
    '        action: replace',
    '        target_label: __metrics_path__',
    '        regex: (.+)',
    '      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]',
    '        action: replace',
    '        regex: ([^:]+)(?::\\d+)?;(\\d+)',
    '        replacement: $1:$2',
    '        target_label: __address__',
    '      - source_labels: [__meta_kubernetes_namespace]',
    '        action: replace',
    '        target_label: source_namespace',
    '      - source_labels: [__meta_kubernetes_pod_name]',
    '        action: replace',
    '        target_label: source_pod_name',
    '      - source_labels: [__meta_kubernetes_pod_label_app]',
    '        action: replace',
    '        target_label: source_service',
    `      - regex: (${osmDroppedLabels.join('|')})`,
    '        action: labeldrop',
    '      - source_labels: [__meta_kubernetes_pod_controller_kind]',
    '        action: replace',
    '        target_label: source_workload_kind',
    '      - source_labels: [__meta_kubernetes_pod_controller_name]',
    '        action: replace',
    '        target_label: source_workload_name',
    '      - source_labels: [__meta_kubernetes_pod_controller_kind]',
    '        action: replace',
    '        regex: ^ReplicaSet$',
    '        target_label: source_workload_kind',
    '        replacement: Deployment',
    '      - source_labels: [__meta_kubernetes_pod_controller_kind, __meta_kubernetes_pod_controller_name]',
    '        action: replace',
    '        regex: ^ReplicaSet;(.*)-[^-]+$',
    '        target_label: source_workload_name',
    '    metric_relabel_configs:',
    '      - source_labels: [__name__]',
    `        regex: (${osmKeptMetricsRegex})`,
    '        action: keep',
    '',
  ].join('\n');
}
