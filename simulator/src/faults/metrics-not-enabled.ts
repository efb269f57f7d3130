/** The injector ignores the namespace's `openservicemesh.io/metrics` annotation: pods get no `prometheus.io/*` annotations. */
import { osmFlavors } from '../flavors/names.ts';
import { defineFault } from './fault.ts';

export const metricsNotEnabled = defineFault({
  name: 'metrics-not-enabled',
  outcome: 'fail',
  flavors: osmFlavors,
  description: 'the injector ignores the namespace\'s metrics annotation (as when `osm metrics enable` runs after the pods started): pods get no prometheus.io annotations',
  hooks: () => ({ mesh: { ignoreMetricsAnnotation: true } }),
});
