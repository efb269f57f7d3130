import type { V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { describePodState } from '../wait/conditions.ts';
import type { Attachment } from './attachment.ts';

/** Each pod's phase, conditions and container statuses (init and sidecar included), as YAML. */
export async function collectPodStatus(client: KubeClient, namespace: string, budgetMs: number): Promise<Attachment[]> {
  const pods = (await client.list<V1Pod>(resourceTypes.pod, { namespace }, { budgetMs })).items;
  if (!pods.length) return [{ name: `pod status ${namespace}`, contentType: 'text/plain', body: `no pods in namespace ${namespace}` }];
  const summary = pods.map((p) => `${p.metadata?.name ?? '?'}: ${describePodState(p)}`).join('\n');
  const statuses = pods.map((p) => ({
    name: p.metadata?.name,
    labels: p.metadata?.labels,
    annotations: p.metadata?.annotations,
    containers: p.spec?.containers.map((c) => c.name),
    initContainers: p.spec?.initContainers?.map((c) => c.name),
    status: p.status,
  }));
  return [{ name: `pod status ${namespace}`, contentType: 'application/yaml', body: `# ${summary.replace(/\n/g, '\n# ')}\n${stringify(statuses)}` }];
}

/** Logs of every container of every pod (init and sidecar included; the previous run too after a restart). */
export async function collectContainerLogs(client: KubeClient, namespace: string, budgetMs: number): Promise<Attachment[]> {
  const pods = (await client.list<V1Pod>(resourceTypes.pod, { namespace }, { budgetMs })).items;
  const out: Attachment[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
    for (const container of containers) {
      const status = statuses.find((s) => s.name === container);
      const runs: { previous: boolean; label: string }[] = [{ previous: false, label: '' }];
      if ((status?.restartCount ?? 0) > 0) runs.push({ previous: true, label: ' (previous)' });
      for (const run of runs) {
        let body: string;
        try {
          body = await client.podLog(namespace, name, container, { budgetMs, previous: run.previous });
          if (body === '') body = '<empty log>';
        } catch (err) {
          body = `<no log: ${err instanceof Error ? err.message : String(err)}>`;
        }
        out.push({ name: `log ${name}/${container}${run.label}`, contentType: 'text/plain', body });
      }
    }
  }
  return out;
}
