/**
 * Flagger installed with the Helm chart's default `metricsServer`, http://prometheus:9090 (the chart always passes
 * `-metrics-server`): a Service the OSM cluster does not have. `check` fails the Flagger metrics-server line; a
 * conformance run passes. Kind only.
 */
import { defineFault } from './fault.ts';

export const flaggerDefaultMetricsServer = defineFault({
  name: 'flagger-default-metrics-server',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'Flagger runs with the chart\'s default -metrics-server=http://prometheus:9090, which does not exist: `check` fails flagger/<ns>/<name>/metrics-server; a conformance run still passes',
  hooks: () => ({ mesh: { flaggerDefaultMetricsServer: true } }),
});
