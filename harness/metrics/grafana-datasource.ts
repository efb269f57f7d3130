/**
 * The mesh's Grafana (the guide's "metrics observability" section, docs/guide-coverage.md §7): when it is deployed,
 * whether Grafana answers and whether the Prometheus data source it is provisioned with answers.
 *
 * Grafana's own data-source test needs a login (a mesh's chart may keep Grafana's default admin account), and `check`
 * uses no credentials it was not given. So it reads the data sources from the provisioning ConfigMap Grafana mounts, and
 * asks the Prometheus each one names (an in-cluster URL: `http://prometheus.monitoring.svc:9090`) through the API
 * server's service proxy; Grafana's own `GET /api/health` needs no login. What this cannot see: a network policy that
 * keeps Grafana's pod from the Prometheus Service (docs/grafana.md).
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import { describeServiceTarget, serviceProxyGet } from '../k8s/service-proxy.ts';
import type { ReadinessLine } from '../readiness/readiness-result.ts';
import { fail, ok } from '../readiness/readiness-result.ts';
import { errorText } from '../text.ts';
import { statusMessage } from './prometheus-endpoint.ts';
import { probePrometheusUrl } from './prometheus-url-probe.ts';

/** Where a mesh's Grafana runs and where its data sources are provisioned from. */
export interface MeshGrafana {
  namespace: string;
  service: string;
  port: number;
  /** The ConfigMap Grafana mounts under /etc/grafana/provisioning/datasources, and its key. */
  datasources: { configMap: string; key: string };
  /** How it is deployed, for the "not deployed" line. */
  installHint: string;
}

/** One provisioned data source (Grafana's provisioning file format, `apiVersion: 1`). */
export interface ProvisionedDatasource {
  name: string;
  type: string;
  url: string;
}

/** The data sources of a provisioning file, or why it cannot be read. */
export function provisionedDatasources(text: string): ProvisionedDatasource[] | { error: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return { error: `not YAML: ${errorText(err)}` };
  }
  const list = (doc as { datasources?: unknown } | null)?.datasources;
  if (!Array.isArray(list)) return { error: 'it has no `datasources` list' };
  return list.filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null).map((d) => ({
    name: typeof d.name === 'string' ? d.name : '?',
    type: typeof d.type === 'string' ? d.type : '?',
    url: typeof d.url === 'string' ? d.url : '',
  }));
}

const configMapType = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

/** The readiness lines of the mesh's Grafana (id prefix `metrics/grafana`). */
export async function grafanaLines(client: KubeClient, g: MeshGrafana | undefined, budgetMs: number): Promise<ReadinessLine[]> {
  if (!g) return [];
  const where = describeServiceTarget(g);
  const svc = await client.read({ ...resourceTypes.service, namespace: g.namespace, name: g.service }, { budgetMs });
  if (!svc) return [ok('metrics/grafana', `no Grafana deployed (Service ${g.namespace}/${g.service} not found; optional: ${g.installHint})`)];

  const health = await serviceProxyGet(client.kubeConfig, g, '/api/health', budgetMs);
  if ('error' in health || health.status !== 200) {
    const answer = 'error' in health ? health.error : `answered ${health.status}: ${statusMessage(health.body) ?? health.body.slice(0, 200).trim()}`;
    return [fail('metrics/grafana', `Grafana does not answer: GET /api/health through the API server's service proxy (${where}) ${answer}`,
      `check \`kubectl -n ${g.namespace} get pods\` and the logs of the Grafana pod`)];
  }
  const version = (() => {
    try {
      return (JSON.parse(health.body) as { version?: string }).version;
    } catch {
      return undefined;
    }
  })();

  const source = `ConfigMap ${g.namespace}/${g.datasources.configMap} key ${g.datasources.key}`;
  const cm = await client.read<V1ConfigMap>({ ...configMapType, namespace: g.namespace, name: g.datasources.configMap }, { budgetMs });
  const text = cm?.data?.[g.datasources.key];
  if (text === undefined) {
    return [fail('metrics/grafana', `Grafana${version ? ` ${version}` : ''} answers, but its data sources cannot be read: ${source} ${cm ? 'has no such key' : 'not found'}`,
      'Grafana provisions its data sources from that file; reinstall the mesh\'s Grafana')];
  }
  const parsed = provisionedDatasources(text);
  if ('error' in parsed) return [fail('metrics/grafana', `Grafana's data sources (${source}) cannot be read: ${parsed.error}`, 'fix the provisioning file and restart Grafana')];
  const proms = parsed.filter((d) => d.type === 'prometheus');
  if (!proms.length) {
    return [fail('metrics/grafana', `Grafana${version ? ` ${version}` : ''} has no Prometheus data source (${source} lists ${parsed.map((d) => `${d.name} (${d.type})`).join(', ') || 'none'})`,
      'the mesh\'s dashboards query a data source named Prometheus; provision one that points at the mesh\'s Prometheus')];
  }
  const lines: ReadinessLine[] = [];
  for (const d of proms) {
    const id = `metrics/grafana/${d.name}`;
    const probe = await probePrometheusUrl(client, d.url, g.namespace, budgetMs);
    const grafana = `Grafana${version ? ` ${version}` : ''}`;
    if (probe.kind === 'answers') lines.push(ok(id, `${grafana} answers; its data source ${d.name} (${d.url}) answers as Prometheus ${probe.version}`));
    else if (probe.kind === 'outside-cluster') lines.push(ok(id, `${grafana} answers; its data source ${d.name} (${d.url}) is outside the cluster and not probed`));
    else if (probe.kind === 'no-service') {
      lines.push(fail(id, `Grafana's data source ${d.name} (${d.url}, ${source}) does not answer: Service ${probe.service} not found`,
        `point the data source at the mesh's Prometheus and restart Grafana (\`kubectl -n ${g.namespace} rollout restart deployment\`)`));
    } else {
      lines.push(fail(id, `Grafana's data source ${d.name} (${d.url}, ${source}) does not answer: GET /api/v1/status/buildinfo through ${probe.where} ${probe.why}`,
        'point the data source at the mesh\'s Prometheus (its Service and port) and restart Grafana'));
    }
  }
  return lines;
}
