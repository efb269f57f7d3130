/**
 * Flagger initialises a Canary (primary Deployment, Services, target scaled to 0, phase Initialized) without writing its
 * mesh router's object: no SMI TrafficSplit `<svc>`, so the mesh does not split the apex Service's traffic. Upstream
 * Flagger writes it before it sets Initialized (scheduler.go advanceCanary); this fault stands for the object being
 * missing when the Canary says it is initialised (docs/flagger.md). The extended check `canary` fails at once on the
 * routing object. Kind only: the flavor that runs Flagger.
 */
import { defineFault } from './fault.ts';

export const flaggerRoutingNotWritten = defineFault({
  name: 'flagger-routing-not-written',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'Flagger reports a Canary Initialized without its TrafficSplit: the extended check canary fails on the missing routing object',
  hooks: () => ({ mesh: { flaggerSkipsRouting: true } }),
});
