// Check `namespace`: a fresh namespace can be onboarded into the mesh (sidecar injection and metrics enabled).
import type { V1Namespace } from '@kubernetes/client-node';
import type { CheckBody } from '../../fixtures/index.ts';
import { expect, metadataMismatches, patchNamespaceMetadata, resourceTypes, runLabelKeys, test, waitForObject } from '../../fixtures/index.ts';

export const namespaceCheck: CheckBody = async ({ cluster, ns, mesh, runId, conformanceConfig: config }) => {
  const budgetMs = config.timeouts.apply;
  const readNamespace = () => cluster.read<V1Namespace>({ ...resourceTypes.namespace, name: ns.name }, { budgetMs });

  for (const step of mesh.onboarding.steps()) {
    await test.step(`setup: onboard namespace ${ns.name} into the mesh (${step.title})`, async () => {
      await patchNamespaceMetadata(cluster, ns.name, step.metadata, budgetMs);
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
        return mismatches.length ? { done: false, observed: mismatches.map((m) => m.replace(/^- /, '')).join('; ') } : { done: true, observed: 'onboarded', ...(got ? { value: got } : {}) };
      }, { timeoutMs: config.timeouts.assert });
  });
};
