/** The sidecar opens no metrics listener on 15010, so Prometheus never scrapes the pod. */
import { defineFault } from './fault.ts';

export const metricsNotScraped = defineFault({
  name: 'metrics-not-scraped',
  outcome: 'fail',
  description: 'the sidecar serves no /stats/prometheus, so Prometheus never scrapes the pod',
  hooks: () => ({ node: { sidecarServesNoMetrics: true } }),
});
