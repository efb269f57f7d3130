import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import type { Attachment } from './attachment.ts';

/** The namespace's events as a `kubectl get events`-like table, oldest first. */
export async function collectEvents(client: KubeClient, namespace: string, budgetMs: number): Promise<Attachment[]> {
  const list = await client.list<CoreV1Event>(resourceTypes.event, { namespace }, { budgetMs });
  const time = (e: CoreV1Event): string => String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '');
  const rows = [...list.items].sort((a, b) => time(a).localeCompare(time(b))).map((e) => {
    const t = time(e);
    const ts = t ? new Date(t).toISOString() : '-';
    return [ts, e.type ?? '', e.reason ?? '', `${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''}`, (e.message ?? '').replace(/\s+/g, ' ')].join('  ');
  });
  const body = rows.length ? ['TIME  TYPE  REASON  OBJECT  MESSAGE', ...rows].join('\n') : `no events in namespace ${namespace}`;
  return [{ name: `events ${namespace}`, contentType: 'text/plain', body }];
}
