// A step several checks share: the Running pod of the sample the httpbin check deployed.
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient, SampleWorkload } from '../../fixtures/index.ts';
import { expect, resourceTypes, sampleSelector, test } from '../../fixtures/index.ts';

/** The sample's Running pod in the run's namespace, as a report step; fails naming the selector when there is none. */
export function findSamplePod(cluster: KubeClient, namespace: string, sample: SampleWorkload, budgetMs: number): Promise<V1Pod> {
  return test.step(`setup: find the ${sample.name} pod`, async () => {
    const pods = await cluster.list<V1Pod>(resourceTypes.pod, { namespace, labelSelector: sampleSelector(sample) }, { budgetMs });
    const running = pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
    expect(running.length, `no Running pod matches ${sampleSelector(sample)} in namespace ${namespace}`).toBeGreaterThan(0);
    return running[0]!;
  });
}
