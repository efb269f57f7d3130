/**
 * Dapr installed, and OSM's Dapr demo applied into the mesh with only the demo's per-pod step (port 80 excluded) and
 * not its MeshConfig step (50005 and 8201): envoy intercepts nodeapp's traffic to the placement server, while
 * pythonapp excludes all three. `check` fails dapr/ports/dapr-demo/<nodeapp pod> only; a run passes. Kind only
 * (src/dapr/dapr-demo.ts).
 */
import { defineFault } from './fault.ts';

export const daprPortsIntercepted = defineFault({
  name: 'dapr-ports-intercepted',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'Dapr runs, and OSM\'s Dapr demo app nodeapp in the mesh excludes only port 80, not the placement server\'s 50005 and 8201: `check` fails its dapr/ports line; a conformance run still passes',
  hooks: () => ({ mesh: { daprDemoApp: true } }),
});
