/**
 * Container insights runs with the "Logs and Events" preset (what `az aks enable-addons --addons monitoring` sets
 * without --data-collection-settings): its data collection rule has no Microsoft-InsightsMetrics stream, so the
 * agent's envoy scrapes never reach the workspace (issue 14 §3, osm.md §6d).
 */
import { defineFault } from './fault.ts';

export const insightsMetricsNotCollected = defineFault({
  name: 'insights-metrics-not-collected',
  outcome: 'fail',
  flavors: ['aks'],
  description: 'Container insights collects no InsightsMetrics (the "Logs and Events" preset, the default without --data-collection-settings): the workspace has no envoy rows',
  hooks: () => ({ cluster: { insightsMetricsNotCollected: true } }),
});
