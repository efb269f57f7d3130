/**
 * @kubernetes/client-node, loaded on first use rather than at import. It costs a process 100–150 MB and a few
 * hundred milliseconds; the Playwright runner process imports the specs only to list them and never talks to a
 * cluster, so it should not pay for it (issue 17: the harness's summed RSS). Import its types with `import type`
 * and reach its values through `clientNode()`; eslint forbids value imports of the package in harness/, fixtures/,
 * tests/ and cli/.
 */
import { createRequire } from 'node:module';
import type * as ClientNodeModule from '@kubernetes/client-node';
import type { PatchStrategy } from '@kubernetes/client-node';

type ClientNode = typeof ClientNodeModule;

let loaded: ClientNode | undefined;

/** The package's exports, loaded once per process (Node's require of an ES module: synchronous). */
export function clientNode(): ClientNode {
  loaded ??= createRequire(import.meta.url)('@kubernetes/client-node') as ClientNode;
  return loaded;
}

/** client-node's `PatchStrategy` values, usable without loading the package. */
export const patchStrategies = {
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
  ServerSideApply: 'application/apply-patch+yaml',
} as const satisfies Record<string, PatchStrategy>;
