/**
 * Dapr installed with its placement server down (no ready pod behind dapr-placement-server): `check` fails
 * dapr/control-plane; a conformance run passes (service invocation needs no placement server). Kind only (src/dapr/dapr-install.ts).
 */
import { defineFault } from './fault.ts';

export const daprPlacementDown = defineFault({
  name: 'dapr-placement-down',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'Dapr runs in dapr-system without a ready placement server (dapr-placement-server has no endpoint): `check` fails dapr/control-plane; a conformance run still passes',
  hooks: () => ({ mesh: { daprPlacementDown: true } }),
});
