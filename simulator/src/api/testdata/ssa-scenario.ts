/**
 * A server-side apply scenario run against an API server, for comparing field ownership with kube-apiserver's:
 * creates, applies with and without conflicts, force, fields dropped from an apply, a merge patch, the scale
 * subresource, associative lists (containers by name, ports by containerPort+protocol). Each step is reduced to what
 * ownership decides: status code, conflict message and causes, data or containers, and managedFields without times.
 * ssa-upstream.json holds kube-apiserver v1.35.4's answers (recorded by field-manager.test.ts when the upstream
 * binaries are built and UPDATE_GOLDEN=1).
 */
import { Agent, request } from 'undici';

export interface Target { server: string; token: string; caPem: string }
export type Step = Record<string, unknown>;

export async function runSsaScenario(target: Target, namespace: string): Promise<Step[]> {
  const dispatcher = new Agent({ connect: { ca: target.caPem } });
  const call = async (method: string, path: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await request(`${target.server}${path}`, {
      method: method as 'GET', dispatcher,
      headers: { authorization: `Bearer ${target.token}`, 'content-type': contentType, 'user-agent': 'ssa-scenario/1.0' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> };
  };
  const cm = `/api/v1/namespaces/${namespace}/configmaps`;
  const dep = `/apis/apps/v1/namespaces/${namespace}/deployments`;
  const apply = (path: string, manager: string, body: unknown, force = false) => call('PATCH', `${path}?fieldManager=${manager}${force ? '&force=true' : ''}`, body, 'application/apply-patch+yaml');
  const steps: Step[] = [];
  const step = async (name: string, p: Promise<{ status: number; body: Record<string, unknown> }>): Promise<void> => {
    const { status, body } = await p;
    if (body.kind === 'Status') {
      steps.push({ name, status, message: body.message, causes: (body.details as { causes?: unknown } | undefined)?.causes });
      return;
    }
    const metadata = body.metadata as { labels?: unknown; managedFields?: { manager: string; operation: string; subresource?: string; fieldsV1: unknown }[] };
    const spec = body.spec as { replicas?: number; template?: { spec?: { containers?: { name: string; image: string; ports?: unknown }[] } } } | undefined;
    steps.push({
      name, status, labels: metadata.labels, data: body.data,
      ...(spec?.template ? { replicas: spec.replicas, containers: spec.template.spec?.containers?.map((c) => ({ name: c.name, image: c.image, ports: c.ports })) } : {}),
      managedFields: (metadata.managedFields ?? []).map((e) => ({ manager: e.manager, operation: e.operation, subresource: e.subresource, fieldsV1: e.fieldsV1 })),
    });
  };
  const deployment = (image: string) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c1', image, ports: [{ containerPort: 80 }] }] } } },
  });
  try {
    await step('create cm', call('POST', `${cm}?fieldManager=kubectl-create`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1' }, data: { a: '1', b: '2' } }));
    await step('apply conflict', apply(`${cm}/s1`, 'mgr', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1', labels: { x: 'y' } }, data: { a: '9', b: '8' } }));
    await step('apply same values', apply(`${cm}/s1`, 'mgr2', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1' }, data: { a: '1' } }));
    await step('apply force', apply(`${cm}/s1`, 'mgr', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1', labels: { x: 'y' } }, data: { a: '9', c: '3' } }, true));
    await step('apply drop c', apply(`${cm}/s1`, 'mgr', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1' }, data: { a: '9' } }));
    await step('apply empty', apply(`${cm}/s1`, 'mgr', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's1' } }));
    await step('merge patch update', call('PATCH', `${cm}/s1?fieldManager=patcher`, { data: { b: '5', z: '1' } }, 'application/merge-patch+json'));
    await step('apply deployment', apply(`${dep}/d1`, 'applier', deployment('nginx:1')));
    await step('scale', call('PATCH', `${dep}/d1/scale?fieldManager=scaler`, { spec: { replicas: 3 } }, 'application/merge-patch+json'));
    await step('apply replicas conflict', apply(`${dep}/d1`, 'applier', deployment('nginx:1')));
    await step('apply image by other', apply(`${dep}/d1`, 'other', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1' }, spec: { template: { spec: { containers: [{ name: 'c1', image: 'nginx:2' }, { name: 'side', image: 'busybox' }] } } } }));
    await step('apply second container first', apply(`${dep}/d1`, 'other', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1' }, spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox' }, { name: 'c1', image: 'nginx:1' }] } } } }));
    await step('applier drops ports and replicas', apply(`${dep}/d1`, 'applier', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1' }, spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c1', image: 'nginx:1' }] } } } }, true));
  } finally {
    await dispatcher.close();
  }
  return steps;
}
