/** The sidecar serves its stats, but its per-code upstream response counters never move. */
import { defineFault } from './fault.ts';

export const envoyStatsFrozen = defineFault({
  name: 'envoy-stats-frozen',
  outcome: 'fail',
  description: 'the sidecar serves its stats but its upstream response counters never move',
  hooks: () => ({ node: { sidecarStatsFrozen: true } }),
});
