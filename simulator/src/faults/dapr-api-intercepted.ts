/**
 * OSM's sidecar intercepts daprd's connection to Dapr's operator: osm-init leaves out the pod's
 * `openservicemesh.io/outbound-port-exclusion-list`, and envoy resets what it intercepts for a destination outside the
 * mesh (as with egress off). daprd cannot load its configuration from dapr-api:80, gives up and exits (CrashLoopBackOff):
 * the failure mode OSM's Dapr guide prevents by excluding port 80. Only the extended check dapr-invocation fails, naming
 * the daprd container. Kind only (Dapr runs there).
 */
import { defineFault } from './fault.ts';

export const daprApiIntercepted = defineFault({
  name: 'dapr-api-intercepted',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'OSM ignores the pod\'s outbound-port-exclusion-list and resets intercepted traffic leaving the mesh: daprd\'s connection to dapr-api:80 goes into envoy and fails, daprd exits (CrashLoopBackOff)',
  hooks: () => ({ mesh: { daprApiIntercepted: true } }),
});
