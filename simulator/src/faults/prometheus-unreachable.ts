/**
 * The in-cluster Prometheus Service keeps no endpoints; its service proxy answers 503. On the kind flavors only (the
 * aks flavors' Prometheus is outside the cluster): osm-prometheus on OSM's, the addon's `prometheus` on Istio's.
 */
import { isServiceRef } from '../flavors/flavor.ts';
import { defineFault } from './fault.ts';

export const prometheusUnreachable = defineFault({
  name: 'prometheus-unreachable',
  outcome: 'fail',
  flavors: ['kind', 'istio-kind'],
  description: 'the osm-prometheus service has no endpoints and its proxy answers 503',
  descriptions: { 'istio-kind': 'the Prometheus addon service (istio-system/prometheus) has no endpoints and its proxy answers 503' },
  hooks: ({ flavor }) => ({ cluster: { withholdEndpoints: (service) => isServiceRef(service, flavor.services.prometheus) } }),
});
