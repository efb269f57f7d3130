/**
 * The sidecar never counts the requests that come through the ingress, while its other counters move: on OSM the
 * local inbound cluster stays still and `envoy-metrics-cluster` still counts Prometheus's scrapes (so a query over all
 * clusters would pass); on Istio istio_requests_total (reporter="destination") never counts requests from a gateway.
 */
import { defineFault } from './fault.ts';

export const metricsMissIngressTraffic = defineFault({
  name: 'metrics-miss-ingress-traffic',
  outcome: 'fail',
  description: 'the sidecar never counts requests that come through the ingress (OSM: its local cluster\'s counters stay still while envoy-metrics-cluster counts the scrapes; Istio: istio_requests_total never counts requests from a gateway)',
  hooks: () => ({ node: { sidecarMissesIngressTraffic: true } }),
});
