/**
 * resourceVersions expire after a quarter of a second (as if etcd were compacted that often) and the server ends
 * watch streams after 0.7 s, so a client that resumes a watch from the last resourceVersion it saw gets 410 Gone (an
 * ERROR event `too old resource version`) as soon as anything was written meanwhile (the controller manager's lease
 * renewals alone do, every 2 s), and must relist, as after a long disconnect or a kube-apiserver restart. Short enough
 * that the waits of a quick run, which last a second or two, meet it.
 */
import { defineFault } from './fault.ts';

/** How long a resourceVersion stays usable. */
export const watchExpiredWindowMs = 250;
/** How long a watch stream lives. */
export const watchExpiredStreamMs = 700;

export const watchExpired = defineFault({
  name: 'watch-expired',
  outcome: 'pass',
  description: 'resourceVersions expire after 0.25 s and watch streams end after 0.7 s, so resumed watches get 410 Gone and clients must relist',
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
