/**
 * Istio's metrics as the metrics check reads them (istio.md §5): the injector's Prometheus-merge annotations (port
 * 15020), the addon Prometheus's `namespace`/`pod` target labels, and `istio_requests_total` reported by the
 * workload's sidecar, restricted to requests from the ingress gateway's identity, with mTLS proven from the same
 * series' `connection_security_policy`.
 */
import type { MeshMetrics, MetricAssessment, MetricsSubject, Sample } from '../../metrics/mesh-metrics.ts';
import { sumOf } from '../../metrics/mesh-metrics.ts';
import { selector } from '../../metrics/prometheus-api.ts';
import { principal } from './keys.ts';

const requests = 'istio_requests_total';

/** `istio_requests_total{…}=7 (connection_security_policy: mutual_tls 5, none 2)` */
function seen(sel: Record<string, string>, samples: readonly Sample[] | null, by?: string): string {
  const head = `${selector(requests, sel)}=${samples === null ? 'not collected by this source' : sumOf(samples) ?? 'no series'}`;
  if (!by || !samples?.length) return head;
  const groups = new Map<string, number>();
  for (const s of samples) groups.set(s.labels[by] ?? '<none>', (groups.get(s.labels[by] ?? '<none>') ?? 0) + s.value);
  return `${head} (${by}: ${[...groups].map(([k, v]) => `${k} ${v}`).join(', ')})`;
}

/**
 * What must hold once the pod is a target: the sidecar counted at least the 2xx the suite received from the gateway
 * (reporter="destination", restricted to the gateway's principal), and those requests were mutual TLS.
 */
export function istioAssessments(s: MetricsSubject, sample: string): MetricAssessment[] {
  const base: Record<string, string> = {
    reporter: 'destination', destination_workload_namespace: s.namespace, destination_workload: sample, response_code: '200',
    ...(s.source?.kind === 'ServiceAccount' ? { source_principal: principal(s.source.namespace, s.source.name).spiffe } : {}),
  };
  const mtls = { ...base, connection_security_policy: 'mutual_tls' };
  return [
    {
      title: `${requests} (reporter=destination, 200, from the ingress gateway) counts at least the ${s.sent} successful requests sent through the ingress`,
      description: `${selector(requests, base)} to reach at least ${s.sent}`,
      series: { metric: requests, labels: base },
      judge: (samples) => ({ done: (sumOf(samples) ?? 0) >= s.sent, observed: seen(base, samples, 'connection_security_policy'), value: samples ?? [] }),
    },
    {
      title: `those requests were mutual TLS (connection_security_policy="mutual_tls")`,
      description: `${selector(requests, mtls)} to reach at least ${s.sent}`,
      series: { metric: requests, labels: base },
      judge: (samples) => {
        const mutual = (samples ?? []).filter((x) => x.labels.connection_security_policy === 'mutual_tls');
        return { done: (sumOf(mutual) ?? 0) >= s.sent, observed: seen(base, samples, 'connection_security_policy'), value: mutual };
      },
    },
  ];
}

/** Istio's metrics; `prometheusNamespace` is where the addon Prometheus runs (istio-system). */
export function istioMetrics(sample: string, prometheusNamespace = 'istio-system'): MeshMetrics {
  return {
    podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus' },
    whyNotAnnotated: () => 'the injector did not add them: meshConfig.enablePrometheusMerge is off, or the pod sets prometheus.io/scrape: "false"',
    enableHint: () => 'keep meshConfig.enablePrometheusMerge on (the default) and do not set prometheus.io/scrape=false on the pod; then restart the pods',
    targetLabels: { namespace: 'namespace', pod: 'pod' },
    assessments: (s) => istioAssessments(s, sample),
    prometheus: {
      namespace: prometheusNamespace, service: 'prometheus', port: 9090, podSelector: 'app.kubernetes.io/name=prometheus',
      installHint: '`kubectl apply -f samples/addons/prometheus.yaml` of the Istio release',
    },
    // samples/addons/grafana.yaml: Service grafana port 3000, data sources in ConfigMap grafana (docs/grafana.md).
    grafana: {
      namespace: prometheusNamespace, service: 'grafana', port: 3000, datasources: { configMap: 'grafana', key: 'datasources.yaml' },
      installHint: '`kubectl apply -f samples/addons/grafana.yaml` of the Istio release',
    },
  };
}
