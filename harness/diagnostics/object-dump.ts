import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { ObjectRef } from '../k8s/resources.ts';
import { describeRef } from '../k8s/resources.ts';
import type { Attachment } from './attachment.ts';

/** Drops the noise `kubectl get -o yaml` users skip anyway. */
function tidy(obj: KubernetesObject): KubernetesObject {
  const copy = structuredClone(obj);
  if (copy.metadata) delete copy.metadata.managedFields;
  return copy;
}

/** YAML of each object, read fresh (status included); a missing object is noted, not an error. */
export async function dumpObjects(client: KubeClient, refs: readonly ObjectRef[], budgetMs: number, name = 'objects created by the run'): Promise<Attachment[]> {
  const docs: string[] = [];
  for (const ref of refs) {
    try {
      const obj = await client.read(ref, { budgetMs });
      docs.push(obj ? stringify(tidy(obj)) : `# ${describeRef(ref)}: not found\n`);
    } catch (err) {
      docs.push(`# ${describeRef(ref)}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return [{ name, contentType: 'application/yaml', body: docs.join('---\n') || '# nothing created yet\n' }];
}

/**
 * Every object of one kind in the namespace with its status (the mesh's ingress policy: a failed check needs
 * a policy object's status even when the run never got to register it).
 */
export async function dumpKindInNamespace(client: KubeClient, type: { apiVersion: string; kind: string }, namespace: string, budgetMs: number): Promise<Attachment[]> {
  const items = (await client.list<KubernetesObject>(type, { namespace }, { budgetMs })).items;
  const body = items.length ? items.map((o) => stringify(tidy({ apiVersion: type.apiVersion, kind: type.kind, ...o }))).join('---\n') : `# no ${type.kind} in namespace ${namespace}\n`;
  return [{ name: `${type.kind} ${namespace}`, contentType: 'application/yaml', body }];
}
