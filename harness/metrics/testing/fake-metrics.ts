/** A made-up mesh's metrics for the unit tests of the metrics check's machinery (no real mesh's names). */
import type { MeshMetrics } from '../mesh-metrics.ts';
import { sumOf } from '../mesh-metrics.ts';

export const testMetrics: MeshMetrics = {
  podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9999' },
  whyNotAnnotated: (ns) => (ns?.metadata?.annotations?.['example.test/metrics'] === 'on' ? undefined : `metrics are off on namespace ${ns?.metadata?.name ?? '?'}`),
  enableHint: (ns) => `annotate ${ns} with example.test/metrics=on`,
  targetLabels: { namespace: 'ns', pod: 'pod' },
  assessments: (s) => [{
    title: `requests_total counts ${s.sent}`,
    description: `requests_total to reach ${s.sent}`,
    series: { metric: 'requests_total', labels: { ns: s.namespace, pod: s.pod } },
    judge: (samples) => ({ done: (sumOf(samples) ?? 0) >= s.sent, observed: `requests_total=${sumOf(samples) ?? 'no series'}` }),
  }],
  prometheus: { namespace: 'mesh-system', service: 'prom', port: 9090, podSelector: 'app=prom' },
};
