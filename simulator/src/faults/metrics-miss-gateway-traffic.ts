/** The sidecar's istio_requests_total never counts requests whose source is a gateway. */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const metricsMissGatewayTraffic = defineFault({
  name: 'metrics-miss-gateway-traffic',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'the sidecar\'s istio_requests_total (reporter="destination") never counts requests from a gateway',
  hooks: () => ({ node: { sidecarMissesGatewayTraffic: true } }),
});
