/** httpbin answers 503 to everything (the built-in httpbin in 503 mode, since the real one cannot be told to). */
import { defineFault } from './fault.ts';

export const app503 = defineFault({
  name: 'app-503',
  outcome: 'fail',
  description: 'the httpbin app answers 503 to every request',
  hooks: () => ({ node: { appAlways503: true } }),
});
