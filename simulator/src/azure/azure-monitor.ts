/**
 * Azure Monitor for the aks flavor, outside the cluster as on Azure: the Container insights agent's OSM collection
 * (osm.md §6d) and a Log Analytics workspace that answers the query API over HTTPS.
 *
 * - The agent honours `container-azm-ms-osmconfig` (kube-system): for each namespace in `monitor_namespaces` it
 *   scrapes the pods annotated `prometheus.io/scrape=true` every interval (telegraf `interval = "1m"` on Azure) and
 *   keeps the telegraf `fieldpass` names, as rows of the InsightsMetrics table (Namespace `container.azm.ms.osm`,
 *   Tags JSON with namespace, pod_name, the pod's labels and the metric's own labels). Rows become queryable after
 *   an ingestion delay.
 * - The workspace serves `POST /v1/workspaces/{id}/query` (body `{query, timespan}`) in the JSON shape
 *   @azure/monitor-query-logs reads (`tables[{name, columns[{name,type}], rows}]`), for the documented query shape
 *   only (insights-query.ts; 400 otherwise). It requires `Authorization: Bearer <token>`; the token is written to a
 *   file for the harness. TLS uses a CA of its own, also written to a file.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KubeObject, ObjectStore, SimNetwork } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import { createServingCertificate } from '../api/tls.ts';
import { field, nodeKinds } from '../node/kinds.ts';
import { parsePrometheusText, scrapeTargetOf, scrapeText } from '../node/prometheus-text.ts';
import type { NodeTimings } from '../node/timings.ts';
import { recordDelay } from '../condition-log.ts';
import { parseInsightsQuery, parseTimespan } from './insights-query.ts';
import { monitoredNamespacesOf, osmConfigMapName, osmConfigMapNamespace } from './osm-metrics-config.ts';

/** telegraf's `fieldpass` for OSM (Docker-Provider tomlparser-osm-config.rb). */
export const osmFieldpass = [
  'envoy_cluster_upstream_cx_total', 'envoy_cluster_upstream_cx_connect_fail', 'envoy_cluster_upstream_rq', 'envoy_cluster_upstream_rq_xx',
  'envoy_cluster_upstream_rq_total', 'envoy_cluster_upstream_rq_time_bucket', 'envoy_cluster_upstream_cx_rx_bytes_total', 'envoy_cluster_upstream_cx_tx_bytes_total',
] as const;

export const insightsNamespace = 'container.azm.ms.osm';

export interface InsightsMetricsRow {
  TimeGenerated: string;
  Computer: string;
  Origin: string;
  Namespace: string;
  Name: string;
  Val: number;
  Tags: string;
  AgentId: string;
  Type: 'InsightsMetrics';
  _ResourceId: string;
  /** When the row becomes visible to queries (ms since epoch); not a column. */
  visibleAt: number;
}

const columns: { name: keyof InsightsMetricsRow | 't'; type: string }[] = [
  { name: 'TimeGenerated', type: 'datetime' }, { name: 'Computer', type: 'string' }, { name: 'Origin', type: 'string' },
  { name: 'Namespace', type: 'string' }, { name: 'Name', type: 'string' }, { name: 'Val', type: 'real' }, { name: 'Tags', type: 'string' },
  { name: 'AgentId', type: 'string' }, { name: 'Type', type: 'string' }, { name: '_ResourceId', type: 'string' }, { name: 't', type: 'dynamic' },
];

export interface AzureMonitorOptions {
  store: ObjectStore;
  timings: Pick<NodeTimings, 'azureMonitorIntervalMs' | 'azureMonitorIngestionDelayMs' | 'azureMonitorConfigReloadMs' | 'azureMonitorDiscoveryMs'>;
  /** Directory for the token and CA files. */
  dir: string;
  /** The AKS cluster's resource id (`_ResourceId`, `container.azm.ms/clusterId`). */
  clusterResourceId: string;
  /** Maps the pods' addresses to where they are dialled (the node network). */
  network?: Pick<SimNetwork, 'dialAddressOf'>;
  log?: (line: string) => void;
  /** The data collection rule leaves out InsightsMetrics ("Logs and Events"): the agent scrapes, the workspace stores nothing. */
  insightsMetricsNotCollected?: boolean;
}

export interface AzureMonitor {
  /** `https://127.0.0.1:<port>/v1`: the LogsQueryClient `endpoint`. */
  endpoint: string;
  workspaceId: string;
  tokenFile: string;
  caFile: string;
  /** Rows ingested so far (tests). */
  rows(): readonly InsightsMetricsRow[];
  /** How often the agent restarted on a config edit (tests). */
  restarts(): number;
  stop(): Promise<void>;
}

const maxRows = 200_000;

/** Starts the agent and the workspace. Use once per aks simulator. */
export async function startAzureMonitor(opts: AzureMonitorOptions): Promise<AzureMonitor> {
  const { store } = opts;
  const kinds = nodeKinds(store);
  const configMapType = store.types.byKind('ConfigMap', 'v1');
  const log = opts.log ?? (() => undefined);
  const token = randomBytes(24).toString('base64url');
  const workspaceId = randomUUID();
  const agentId = randomUUID();
  const rows: InsightsMetricsRow[] = [];
  const clusterName = opts.clusterResourceId.split('/').at(-1) ?? '';

  const { azureMonitorConfigReloadMs: reloadMs, azureMonitorDiscoveryMs: discoveryMs } = opts.timings;
  const configuredNamespaces = (): Set<string> => new Set(monitoredNamespacesOf(configMapType ? store.get(configMapType, osmConfigMapNamespace, osmConfigMapName) : undefined));
  // The agent reads its config at container start only (reloadMs > 0); every edit restarts it, reloadMs later.
  let agentNamespaces = configuredNamespaces();
  let restarts = 0;
  let reloadTimer: NodeJS.Timeout | undefined;
  // Pods found by the last discovery (discoveryMs > 0): a new pod is scraped only from the next one on.
  let discovered = new Set<string>();
  const discover = (): void => {
    discovered = new Set(store.list(kinds.pod).items.filter((p) => agentNamespaces.has(p.metadata.namespace ?? '')).map((p) => p.metadata.uid ?? ''));
  };
  discover();
  const unsubscribe = reloadMs > 0 && configMapType
    ? store.onChange((event) => {
      if (event.object.kind !== 'ConfigMap' || event.object.metadata.namespace !== osmConfigMapNamespace || event.object.metadata.name !== osmConfigMapName) return;
      for (const ns of monitoredNamespacesOf(event.type === 'DELETED' ? undefined : event.object)) recordDelay('azureMonitorConfigReload', { metadata: { namespace: ns, name: osmConfigMapName } }, reloadMs);
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => {
        agentNamespaces = configuredNamespaces();
        restarts += 1;
        log(`azure monitor agent: restarted (${restarts}) after a change of ${osmConfigMapNamespace}/${osmConfigMapName}; monitoring ${[...agentNamespaces].join(', ') || 'no namespace'}`);
        discover();
      }, reloadMs);
    })
    : () => undefined;
  const discoveryTimer = discoveryMs > 0 ? setInterval(discover, discoveryMs) : undefined;

  const collect = async (): Promise<void> => {
    const namespaces = reloadMs > 0 ? agentNamespaces : configuredNamespaces();
    if (!namespaces.size) return;
    const now = Date.now();
    const pods = store.list(kinds.pod).items.filter((p) => namespaces.has(p.metadata.namespace ?? '') && (discoveryMs <= 0 || discovered.has(p.metadata.uid ?? '')));
    await Promise.all(pods.map(async (pod) => {
      const target = scrapeTargetOf(pod);
      if (!target) return;
      const text = await scrapeText(target, 5_000, opts.network).catch(() => undefined);
      if (text === undefined) return;
      for (const s of parsePrometheusText(text)) {
        if (!(osmFieldpass as readonly string[]).includes(s.name) || opts.insightsMetricsNotCollected) continue;
        rows.push(rowOf(pod, s.name, s.value, s.labels, now));
      }
    }));
    if (rows.length > maxRows) rows.splice(0, rows.length - maxRows);
  };

  const rowOf = (pod: KubeObject, name: string, value: number, labels: Record<string, string>, now: number): InsightsMetricsRow => {
    const tags: Record<string, string> = {
      ...(pod.metadata.labels ?? {}),
      ...labels,
      namespace: pod.metadata.namespace ?? '',
      pod_name: pod.metadata.name ?? '',
      'container.azm.ms/clusterId': opts.clusterResourceId,
      'container.azm.ms/clusterName': clusterName,
    };
    return {
      TimeGenerated: new Date(now).toISOString(),
      Computer: field<string>(field(pod, 'spec'), 'nodeName') ?? '',
      Origin: 'container.azm.ms/telegraf',
      Namespace: insightsNamespace,
      Name: name,
      Val: value,
      Tags: JSON.stringify(tags),
      AgentId: agentId,
      Type: 'InsightsMetrics',
      _ResourceId: opts.clusterResourceId,
      visibleAt: now + opts.timings.azureMonitorIngestionDelayMs,
    };
  };

  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const loop = (): void => {
    void collect().catch((err: unknown) => log(`azure monitor agent: ${String(err)}`)).finally(() => {
      if (running) timer = setTimeout(loop, opts.timings.azureMonitorIntervalMs);
    });
  };
  loop();

  const cert = await createServingCertificate();
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => void handle(req, res));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (code: number, errCode: string, message: string): void => send(code, { error: { code: errCode, message, correlationId: randomUUID() } });
    if (!bearerMatches(req.headers.authorization, token)) return fail(401, 'AuthorizationRequiredError', 'Valid authentication was not provided');
    const url = new URL(req.url ?? '/', 'https://localhost');
    const m = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(url.pathname);
    if (!m) return fail(404, 'PathNotFoundError', `The requested path does not exist: ${url.pathname}`);
    if (decodeURIComponent(m[1]!) !== workspaceId) return fail(404, 'WorkspaceNotFoundError', `The workspace could not be found: ${m[1]}`);
    let body: { query?: string; timespan?: string | undefined };
    if (req.method === 'GET') {
      body = { query: url.searchParams.get('query') ?? '', timespan: url.searchParams.get('timespan') ?? undefined };
    } else if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return fail(400, 'BadArgumentError', 'The request body is not valid JSON');
      }
    } else {
      return fail(405, 'MethodNotAllowed', `${req.method} is not supported`);
    }
    const parsed = parseInsightsQuery(body.query ?? '');
    if ('error' in parsed) return fail(400, 'BadArgumentError', parsed.error);
    const now = Date.now();
    const window = parseTimespan(body.timespan, now);
    const result: unknown[][] = [];
    for (const row of rows) {
      if (row.visibleAt > now) continue;
      const t = Date.parse(row.TimeGenerated);
      if (window && (t < window.from || t > window.to)) continue;
      if (!row.Name.toLowerCase().includes(parsed.nameContains.toLowerCase())) continue;
      const tags = JSON.parse(row.Tags) as Record<string, string>;
      if (!parsed.tagEquals.every((c) => tags[c.key] === c.value)) continue;
      result.push(columns.map((c) => (c.name === 't' ? tags : row[c.name])));
    }
    send(200, { tables: [{ name: 'PrimaryResult', columns, rows: result }] });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const tokenFile = join(opts.dir, 'azure-token');
  const caFile = join(opts.dir, 'azure-ca.crt');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  writeFileSync(caFile, cert.caPem);
  log(`azure monitor: log analytics workspace ${workspaceId} at https://127.0.0.1:${port}/v1`);

  return {
    endpoint: `https://127.0.0.1:${port}/v1`,
    workspaceId,
    tokenFile,
    caFile,
    rows: () => rows,
    restarts: () => restarts,
    stop: () => new Promise<void>((resolve) => {
      running = false;
      clearTimeout(timer);
      clearTimeout(reloadTimer);
      clearInterval(discoveryTimer);
      unsubscribe();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Azure Monitor as a simulator component (aks): it offers the Log Analytics query API to clients. */
export function azureMonitorComponent(opts: { clusterResourceId: string }): SimComponent {
  return {
    name: 'azure-monitor',
    async start(ctx) {
      const monitor = await startAzureMonitor({ store: ctx.store, timings: ctx.timings, dir: ctx.dir, clusterResourceId: opts.clusterResourceId, network: ctx.network, log: (line) => ctx.log(line),
        insightsMetricsNotCollected: ctx.hooks.cluster.insightsMetricsNotCollected });
      return {
        offers: { logAnalytics: { endpoint: monitor.endpoint, workspaceId: monitor.workspaceId, tokenFile: monitor.tokenFile, caFile: monitor.caFile } },
        stop: () => monitor.stop(),
      };
    },
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
