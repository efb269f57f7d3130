/** The server closes every watch stream after a second; clients must re-list or resume. */
import { defineFault } from './fault.ts';

/** How long a watch stream lives. */
export const watchCutAfterMs = 1000;

export const watchCut = defineFault({
  name: 'watch-cut',
  outcome: 'pass',
  description: 'watch streams are closed by the server after 1 s',
  hooks: () => ({
    api: {
      onWatchOpened: (cut) => {
        const timer = setTimeout(cut, watchCutAfterMs);
        return () => clearTimeout(timer);
      },
    },
  }),
});
