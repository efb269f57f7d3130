/** istiod's Gateway API controller sees no backend Service: HTTPRoutes get ResolvedRefs=False (BackendNotFound). */
import { istioFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const httprouteBackendNotFound = defineFault({
  name: 'httproute-backend-not-found',
  outcome: 'fail',
  flavors: istioFlavors,
  description: 'istiod\'s Gateway API controller finds no backend Service: every HTTPRoute gets ResolvedRefs=False (BackendNotFound) and the gateway answers 503 for its routes (no cluster)',
  emulatedMeshControlPlaneOnly: true,
  hooks: () => ({ mesh: { routeBackendsUnresolved: true } }),
});
