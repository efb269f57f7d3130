/**
 * undici, loaded on first use rather than at import, as client-node is (k8s/client-node.ts). It costs a process about
 * 15–20 MB; the CLI of a local run and the Playwright runner process, which imports the specs only to list them, send
 * no HTTP through it and should not pay for it (issue 17: the harness's summed RSS). Import its types with
 * `import type` and reach its values through `undici()`.
 */
import { createRequire } from 'node:module';
import type * as UndiciModule from 'undici';

let loaded: typeof UndiciModule | undefined;

/** The package's exports, loaded once per process. */
export function undici(): typeof UndiciModule {
  loaded ??= createRequire(import.meta.url)('undici') as typeof UndiciModule;
  return loaded;
}
