/**
 * Flagger installed with the Helm chart's default values for the mesh provider: no `-mesh-provider`, so Flagger runs
 * with its default, istio, on an OSM cluster (it would write Istio VirtualServices, not SMI TrafficSplits). `check`
 * fails the Flagger provider line; a conformance run passes, its extended check canary skipped (the provider does not
 * match the mesh). Kind only: the flavor that runs Flagger.
 */
import { defineFault } from './fault.ts';

export const flaggerDefaultProvider = defineFault({
  name: 'flagger-default-provider',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'Flagger runs without -mesh-provider, so with its default (istio) on OSM: `check` fails flagger/<ns>/<name>/provider; a conformance run passes with the extended check canary skipped (provider mismatch)',
  hooks: () => ({ mesh: { flaggerDefaultProvider: true } }),
});
