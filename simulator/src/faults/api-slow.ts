/** Every API request is delayed. */
import { defineFault } from './fault.ts';

/** Delay added to every request. */
export const apiSlowDelayMs = 150;

export const apiSlow = defineFault({
  name: 'api-slow',
  outcome: 'pass',
  description: 'every API request is delayed by 150 ms',
  hooks: () => ({
    api: {
      beforeRequest: async () => {
        await new Promise((resolve) => setTimeout(resolve, apiSlowDelayMs));
        return undefined;
      },
    },
  }),
});
