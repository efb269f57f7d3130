/**
 * resourceVersions expire within a second (as if etcd were compacted that often) and the server ends watch streams
 * after 3 s, so a client that resumes a watch from the last resourceVersion it saw gets 410 Gone (an ERROR event
 * `too old resource version`) and must relist, as after a long disconnect or a kube-apiserver restart.
 */
import { defineFault } from './fault.ts';

/** How long a resourceVersion stays usable. */
export const watchExpiredWindowMs = 1000;
/** How long a watch stream lives. */
export const watchExpiredStreamMs = 3000;

export const watchExpired = defineFault({
  name: 'watch-expired',
  outcome: 'pass',
  description: 'resourceVersions expire after 1 s and watch streams end after 3 s, so resumed watches get 410 Gone and clients must relist',
  hooks: () => ({
    api: {
      compactionWindowMs: watchExpiredWindowMs,
      onWatchOpened: (cut) => {
        const timer = setTimeout(cut, watchExpiredStreamMs);
        return () => clearTimeout(timer);
      },
    },
  }),
});
