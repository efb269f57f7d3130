/**
 * Flagger runs (its Deployment ready) but never acts on a Canary, as when its ClusterRole lacks `canaries` or its
 * informer never syncs: the Canary gets no status, no primary Deployment, no routing object. The extended check
 * `canary` times out waiting for phase Initialized and names the phase it last saw (none). Kind only: the flavor that
 * runs Flagger.
 */
import { defineFault } from './fault.ts';

export const flaggerCanaryStuck = defineFault({
  name: 'flagger-canary-stuck',
  outcome: 'fail',
  flavors: ['kind'],
  description: 'Flagger runs but never initialises a Canary (no status, no primary, no TrafficSplit): the extended check canary times out waiting for phase Initialized',
  hooks: () => ({ mesh: { flaggerIgnoresCanaries: true } }),
});
