/**
 * The ingress controller's Service keeps no endpoints, so osm-controller reports the IngressBackend's Service source
 * as `error` and requests get 502. kind only: on aks the guide's source is an IPRange (the Application Gateway
 * subnet), which has no endpoints to lose, and OSM reports `error` only for a Service source (osm.md §3).
 */
import { isServiceRef } from '../flavors/flavor.ts';
import { defineFault } from './fault.ts';

export const ingressbackendError = defineFault({
  name: 'ingressbackend-error',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'the ingress controller Service has no endpoints, so the IngressBackend status is error',
  hooks: ({ flavor }) => ({ cluster: { withholdEndpoints: (service) => isServiceRef(service, flavor.services.ingressController) } }),
});
