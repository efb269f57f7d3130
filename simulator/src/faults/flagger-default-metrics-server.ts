/**
 * Flagger installed without `-metrics-server`, so it queries its default, http://prometheus:9090: a Service the OSM
 * cluster does not have. `check` fails the Flagger metrics-server line; a conformance run passes. Kind only.
 */
import { defineFault } from './fault.ts';

export const flaggerDefaultMetricsServer = defineFault({
  name: 'flagger-default-metrics-server',
  outcome: 'pass',
  flavors: ['kind'],
  description: 'Flagger runs without -metrics-server, so it queries http://prometheus:9090, which does not exist: `check` fails flagger/<ns>/<name>/metrics-server; a conformance run still passes',
  hooks: () => ({ mesh: { flaggerDefaultMetricsServer: true } }),
});
