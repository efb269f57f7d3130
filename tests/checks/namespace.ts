// Check `namespace`: a fresh namespace can be onboarded into the mesh (sidecar injection and metrics enabled).
import type { V1Namespace } from '@kubernetes/client-node';
import type { CheckBody } from '../../fixtures/index.ts';
import { expect, metadataMismatches, patchNamespaceMetadata, resourceTypes, runLabelKeys, test, waitForObject } from '../../fixtures/index.ts';

export const namespaceCheck: CheckBody = async ({ cluster, ns, mesh, runId, conformanceConfig: config }) => {
  const budgetMs = config.timeouts.apply;
  const readNamespace = () => cluster.read<V1Namespace>({ ...resourceTypes.namespace, name: ns.name }, { budgetMs });

  // What the API server stored right after each write: a key missing there was removed in admission (a mutating
  // webhook or policy), and no wait brings it back.
  const strippedOnWrite: string[] = [];
  for (const step of mesh.onboarding.steps()) {
    await test.step(`setup: onboard namespace ${ns.name} into the mesh (${step.title})`, async () => {
      const stored = await patchNamespaceMetadata(cluster, ns.name, step.metadata, budgetMs);
      strippedOnWrite.push(...metadataMismatches(step.metadata, stored.metadata).map((m) => m.replace(/^- /, '')));
    });
  }
  await test.step('assess: namespace carries the run labels', async () => {
    const got = await readNamespace();
    const mismatches = metadataMismatches({ labels: { [runLabelKeys.runId]: runId } }, got?.metadata);
    expect(mismatches, `Namespace ${ns.name}:\n${mismatches.join('\n')}`).toEqual([]);
    expect(got?.metadata?.labels?.[runLabelKeys.createdAt], `Namespace ${ns.name}: label ${runLabelKeys.createdAt}`).toBeTruthy();
  });
  await test.step('assess: namespace reads back the mesh\'s onboarding labels and annotations', async () => {
    const expected = mesh.onboarding.expected();
    await waitForObject<V1Namespace, V1Namespace>(cluster, resourceTypes.namespace, undefined, ns.name,
      `Namespace ${ns.name} to read back the mesh's onboarding labels and annotations`, (got) => {
        const mismatches = metadataMismatches(expected, got?.metadata);
        if (!mismatches.length) return { done: true, observed: 'onboarded', ...(got ? { value: got } : {}) };
        const observed = mismatches.map((m) => m.replace(/^- /, '')).join('; ');
        return strippedOnWrite.length
          ? { done: false, observed, failure: `the API server stored it without what the harness had just set (${strippedOnWrite.join('; ')}): an admission webhook or policy removes it, so waiting cannot help` }
          : { done: false, observed };
      }, { timeoutMs: config.timeouts.assert });
  });
};
