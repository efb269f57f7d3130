/**
 * What a mesh's metrics look like to the metrics check: the pod annotations that make the sidecar scrapeable,
 * the label names its Prometheus config puts on sidecar series, the metric names queried, where the mesh's own
 * Prometheus runs, and (for AKS) how Azure Monitor is told to collect. OSM's values are here; an Istio profile
 * would bring `istio_requests_total`, `namespace`/`pod` labels and its own Prometheus location.
 */
import type { InClusterPrometheus } from '../metrics/prometheus-endpoint.ts';

export interface MeshMetricsExpectations {
  /** Pod annotations the injector adds when metrics are enabled on the namespace. */
  podAnnotations: Record<string, string>;
  /** How metrics are enabled on a namespace, for hints: the namespace annotation and the CLI command. */
  enableHint: (namespace: string) => string;
  /** Series labels naming the scraped pod's namespace and name (OSM relabels them to `source_*`). */
  namespaceLabel: string;
  podLabel: string;
  /** A gauge that is 1 while the sidecar runs. */
  liveMetric: string;
  /** A counter of upstream responses by class, and the labels selecting successful (2xx) ones. */
  requestsMetric: string;
  successLabels: Record<string, string>;
  /** The mesh's Prometheus (deployed with the mesh on kind). */
  prometheus: InClusterPrometheus;
  /** Azure Monitor Container insights: the ConfigMap listing the namespaces to collect, and the tag naming the namespace. */
  azureMonitor: { configMapNamespace: string; configMapName: string; namespaceTag: string; podTag: string };
}

/** OSM 1.2 (osm.md §6a, §6c, §6d). */
export function osmMetricsExpectations(meshNamespace: string): MeshMetricsExpectations {
  return {
    podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15010', 'prometheus.io/path': '/stats/prometheus' },
    enableHint: (ns) => `enable metrics before the pods start: \`osm metrics enable --namespace ${ns}\` (annotation openservicemesh.io/metrics=enabled), then restart the pods`,
    namespaceLabel: 'source_namespace',
    podLabel: 'source_pod_name',
    liveMetric: 'envoy_server_live',
    requestsMetric: 'envoy_cluster_upstream_rq_xx',
    successLabels: { envoy_response_code_class: '2' },
    prometheus: { namespace: meshNamespace, service: 'osm-prometheus', port: 7070, podSelector: 'app=osm-prometheus' },
    azureMonitor: { configMapNamespace: 'kube-system', configMapName: 'container-azm-ms-osmconfig', namespaceTag: 'namespace', podTag: 'pod_name' },
  };
}
