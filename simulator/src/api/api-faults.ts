/**
 * The API-level faults of the catalogue (api-slow, api-flaky, watch-cut) as one middleware that
 * the server runs before routing and when it opens a watch stream. Add new API faults here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSet } from '../faults.ts';
import { ApiError } from '../cluster/types.ts';

/** Delay api-slow adds to every request. */
export const apiSlowDelayMs = 150;
/** How long watch-cut lets a watch stream live. */
export const watchCutAfterMs = 1000;
/** api-flaky fails one request in this many. */
export const flakyPeriod = 5;

export interface ApiFaultMiddleware {
  /**
   * Runs before a request is routed. Resolves to an ApiError the server must answer instead
   * (with its Retry-After), or undefined to carry on.
   */
  beforeRequest(req: IncomingMessage): Promise<ApiError | undefined>;
  /** Called when a watch stream opens; `cut` ends it early. Returns a disposer. */
  onWatchOpened(res: ServerResponse, cut: () => void): () => void;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Builds the middleware for the active faults; with none active it does nothing. */
export function createApiFaultMiddleware(faults: FaultSet): ApiFaultMiddleware {
  let requests = 0;
  let failures = 0;
  return {
    async beforeRequest(req) {
      if (faults.has('api-slow')) await delay(apiSlowDelayMs);
      if (faults.has('api-flaky')) {
        const path = (req.url ?? '').split('?')[0]!;
        // Health probes stay honest so that the simulator's own readiness is not what fails.
        if (path === '/healthz' || path === '/readyz' || path === '/livez') return undefined;
        requests++;
        // Deterministic: the 5th, 10th, 15th... request fails, alternating 500 and 429.
        if (requests % flakyPeriod === 0) {
          failures++;
          return failures % 2 === 1
            ? new ApiError(500, 'InternalError', 'Internal error occurred: injected fault api-flaky', { retryAfterSeconds: 1, causes: [{ message: 'injected fault api-flaky' }] })
            : new ApiError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later', { retryAfterSeconds: 1 });
        }
      }
      return undefined;
    },
    onWatchOpened(_res, cut) {
      if (!faults.has('watch-cut')) return () => undefined;
      const timer = setTimeout(cut, watchCutAfterMs);
      return () => clearTimeout(timer);
    },
  };
}
