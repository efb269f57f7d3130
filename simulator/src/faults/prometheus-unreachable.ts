/** The in-cluster Prometheus Service (osm-prometheus) keeps no endpoints; its service proxy answers 503. kind only. */
import { isServiceRef } from '../flavors/flavor.ts';
import { defineFault } from './fault.ts';

export const prometheusUnreachable = defineFault({
  name: 'prometheus-unreachable',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'the osm-prometheus service has no endpoints and its proxy answers 503',
  hooks: ({ flavor }) => ({ cluster: { withholdEndpoints: (service) => isServiceRef(service, flavor.services.prometheus) } }),
});
