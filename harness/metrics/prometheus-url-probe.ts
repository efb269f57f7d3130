/**
 * Whether a Prometheus named by an in-cluster URL (`http://<svc>[.<ns>[.svc[.cluster.local]]]:<port>`, as a Grafana
 * data source or Flagger's `-metrics-server` names it) answers: the Service must exist, and
 * `GET /api/v1/status/buildinfo` through the API server's service proxy must answer as Prometheus. What it cannot see:
 * a network path the API server has and the client's pod has not (a NetworkPolicy).
 */
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { describeServiceTarget, serviceOfUrl, serviceProxyGet } from '../k8s/service-proxy.ts';
import { statusMessage } from './prometheus-endpoint.ts';

export type PrometheusUrlProbe =
  | { kind: 'answers'; version: string; where: string }
  | { kind: 'outside-cluster' }
  | { kind: 'no-service'; service: string }
  | { kind: 'no-answer'; why: string; where: string };

export async function probePrometheusUrl(client: KubeClient, url: string, defaultNamespace: string, budgetMs: number): Promise<PrometheusUrlProbe> {
  const target = serviceOfUrl(url, defaultNamespace);
  if (!target) return { kind: 'outside-cluster' };
  const where = `the API server's service proxy (${describeServiceTarget(target)})`;
  const exists = await client.read({ ...resourceTypes.service, namespace: target.namespace, name: target.service }, { budgetMs });
  if (!exists) return { kind: 'no-service', service: `${target.namespace}/${target.service}` };
  const res = await serviceProxyGet(client.kubeConfig, target, `${target.path}/api/v1/status/buildinfo`, budgetMs);
  if ('error' in res) return { kind: 'no-answer', why: res.error, where };
  const version = res.status === 200 ? prometheusVersion(res.body) : undefined;
  if (version) return { kind: 'answers', version, where };
  return { kind: 'no-answer', where, why: `answered ${res.status}${res.status === 200 ? ', not as Prometheus' : ''}: ${statusMessage(res.body) ?? res.body.slice(0, 200).trim()}` };
}

/** Prometheus's version from /api/v1/status/buildinfo, or undefined when the body is not that. */
function prometheusVersion(body: string): string | undefined {
  try {
    const b = JSON.parse(body) as { status?: string; data?: { version?: string } };
    return b.status === 'success' ? b.data?.version ?? '?' : undefined;
  } catch {
    return undefined;
  }
}
