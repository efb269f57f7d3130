/** Every fifth API request fails, alternating 500 and 429, both with `Retry-After: 1`; health probes are spared. */
import { ApiError } from '../cluster/types.ts';
import { defineFault } from './fault.ts';

/** One request in this many fails. */
export const flakyPeriod = 5;

export const apiFlaky = defineFault({
  name: 'api-flaky',
  outcome: 'pass',
  description: 'one API request in five fails with 500 or 429 (Retry-After: 1)',
  hooks: () => {
    let requests = 0;
    let failures = 0;
    return {
      api: {
        beforeRequest: (req) => {
          const path = (req.url ?? '').split('?')[0]!;
          // Health probes stay honest so that the simulator's own readiness is not what fails.
          if (path === '/healthz' || path === '/readyz' || path === '/livez') return Promise.resolve(undefined);
          requests++;
          // Deterministic: the 5th, 10th, 15th... request fails, alternating 500 and 429.
          if (requests % flakyPeriod !== 0) return Promise.resolve(undefined);
          failures++;
          return Promise.resolve(failures % 2 === 1
            ? new ApiError(500, 'InternalError', 'Internal error occurred: injected fault api-flaky', { retryAfterSeconds: 1, causes: [{ message: 'injected fault api-flaky' }] })
            : new ApiError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later', { retryAfterSeconds: 1 }));
        },
      },
    };
  },
});
