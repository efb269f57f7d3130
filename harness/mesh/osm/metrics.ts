/**
 * OSM 1.2's metrics as the metrics check reads them (osm.md §6): the injector's scrape annotations (port 15010), the
 * `source_namespace`/`source_pod_name` labels OSM's Prometheus relabelling puts on sidecar series, the Envoy
 * counters that count the suite's traffic, and Container insights' InsightsMetrics mapping on AKS (§6d).
 */
import type { MeshMetrics, MetricAssessment, MetricsSubject, Sample } from '../../metrics/mesh-metrics.ts';
import { sumOf } from '../../metrics/mesh-metrics.ts';
import { selector } from '../../metrics/prometheus-api.ts';
import { azureMonitorCollection } from './azure-monitor-config.ts';
import { isEnabled, osmKeys } from './keys.ts';

const live = 'envoy_server_live';
const requests = 'envoy_cluster_upstream_rq_xx';
/** Container insights' OSM `fieldpass` list (Docker-Provider's telegraf config): what lands in InsightsMetrics. */
const insightsCollected = [
  'envoy_cluster_upstream_cx_total', 'envoy_cluster_upstream_cx_connect_fail', 'envoy_cluster_upstream_rq', 'envoy_cluster_upstream_rq_xx',
  'envoy_cluster_upstream_rq_total', 'envoy_cluster_upstream_rq_time_bucket', 'envoy_cluster_upstream_cx_rx_bytes_total',
  'envoy_cluster_upstream_cx_tx_bytes_total',
] as const;
/** InsightsMetrics tags that carry what OSM's Prometheus calls `source_*`. */
const insightsTags: Record<string, string> = { source_namespace: 'namespace', source_pod_name: 'pod_name' };

const seen = (metric: string, samples: readonly Sample[] | null): string =>
  samples === null ? `${metric}: not collected by this source` : `${metric}=${sumOf(samples) ?? 'no series'}`;

/**
 * The assessments once the pod is a scrape target: the sidecar is live, and the 2xx counter of its **local** inbound
 * cluster (`<ns>/<svc>|<targetPort>|local`, osm.md §6c) reached what the suite received. Only that cluster: the
 * Prometheus scrapes of /stats/prometheus go through Envoy's `envoy-metrics-cluster` (osm pkg/envoy/lds
 * getPrometheusConnectionManager, pkg/constants EnvoyMetricsCluster) and count 2xx there every scrape, so a query over
 * all clusters passes with no ingress traffic at all — OSM's own dashboards exclude that cluster for the same reason.
 */
function assessments(s: MetricsSubject, localCluster: (namespace: string) => string): MetricAssessment[] {
  const ofPod = { source_namespace: s.namespace, source_pod_name: s.pod };
  const success = { ...ofPod, envoy_cluster_name: localCluster(s.namespace), envoy_response_code_class: '2' };
  return [
    {
      title: `${selector(live, { source_namespace: s.namespace })} is 1`,
      description: `${live} to be 1`,
      series: { metric: live, labels: ofPod },
      judge: (samples) => {
        // Container insights does not keep the live gauge (its fieldpass list): nothing to judge there.
        if (samples === null) return { done: true, observed: seen(live, samples), value: [] };
        return { done: samples.length > 0 && Math.min(...samples.map((x) => x.value)) === 1, observed: seen(live, samples), value: samples };
      },
    },
    {
      title: `${requests} (2xx, cluster ${success.envoy_cluster_name}) counts at least the ${s.sent} successful requests sent through the ingress`,
      description: `${selector(requests, { envoy_cluster_name: success.envoy_cluster_name, envoy_response_code_class: '2' })} to reach at least ${s.sent}`,
      series: { metric: requests, labels: success },
      judge: (samples) => ({ done: (sumOf(samples) ?? 0) >= s.sent, observed: seen(selector(requests, { envoy_cluster_name: success.envoy_cluster_name, envoy_response_code_class: '2' }), samples), value: samples ?? [] }),
    },
  ];
}

/** OSM's metrics for a control plane in `meshNamespace`; `sample` names the backend's local cluster. */
export function osmMetrics(meshNamespace: string, sample: { name: string; targetPort: number }): MeshMetrics {
  return {
    podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15010', 'prometheus.io/path': '/stats/prometheus' },
    whyNotAnnotated: (ns) => {
      const value = ns?.metadata?.annotations?.[osmKeys.metrics];
      return isEnabled(value) ? undefined : `metrics are not enabled on namespace ${ns?.metadata?.name ?? '?'} (annotation ${osmKeys.metrics} is ${value === undefined ? 'absent' : `"${value}"`})`;
    },
    enableHint: (ns) => `enable metrics before the pods start: \`osm metrics enable --namespace ${ns}\` (annotation ${osmKeys.metrics}=enabled), then restart the pods`,
    targetLabels: { namespace: 'source_namespace', pod: 'source_pod_name' },
    assessments: (s) => assessments(s, (ns) => `${ns}/${sample.name}|${sample.targetPort}|local`),
    prometheus: { namespace: meshNamespace, service: 'osm-prometheus', port: 7070, podSelector: 'app=osm-prometheus', installHint: '`osm install --set osm.deployPrometheus=true`' },
    // charts/osm/templates/grafana-*.yaml: osm-grafana on port 3000, data sources in osm-grafana-datasources (docs/grafana.md).
    grafana: { namespace: meshNamespace, service: 'osm-grafana', port: 3000, datasources: { configMap: 'osm-grafana-datasources', key: 'prometheus.yaml' }, installHint: '`osm install --set osm.deployGrafana=true`' },
    logAnalytics: {
      query: (ns) => `InsightsMetrics | where Name contains "envoy" | extend t=parse_json(Tags) | where t.namespace == "${ns.replace(/"/g, '\\"')}"`,
      namespaceTag: 'namespace',
      podTag: 'pod_name',
      collected: insightsCollected,
      tagOf: (label) => insightsTags[label] ?? label,
    },
    collection: azureMonitorCollection,
  };
}
