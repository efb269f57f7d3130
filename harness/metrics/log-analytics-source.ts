/**
 * Azure Monitor Container insights as a metrics source: the InsightsMetrics rows of a Log Analytics workspace,
 * read with @azure/monitor-query-logs and the mesh's documented query (`MeshMetrics.logAnalytics`). Credentials: a bearer token when the
 * configuration provides one (the simulated workspace, or `az account get-access-token --resource
 * https://api.loganalytics.io`), otherwise `DefaultAzureCredential` (environment, workload identity, managed identity,
 * Azure CLI, ...). The endpoint (sovereign clouds, the simulator) and a CA bundle (the simulator's own CA) are options.
 */
import { readFileSync } from 'node:fs';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { LogsQueryClient, LogsTable } from '@azure/monitor-query-logs';
import { proxyForUrl } from '../http/proxy.ts';
import { redactUrl } from '../report/redact.ts';
import type { LogAnalyticsMapping, Sample, SeriesSelector } from './mesh-metrics.ts';
import type { MetricsSource, PodRef, SourceCallOptions, TargetState } from './metrics-source.ts';

/** How to reach a Log Analytics workspace. */
export interface LogAnalyticsSettings {
  workspaceId: string;
  /** Query API root including the version, e.g. `https://api.loganalytics.io/v1` (the default). */
  endpoint?: string | undefined;
  /** A bearer token for the query API (or a file holding one); without either DefaultAzureCredential is used. */
  token?: string | undefined;
  tokenFile?: string | undefined;
  /** PEM file of a CA to trust for the endpoint (the simulator's). */
  caFile?: string | undefined;
  /** The window queried (ISO 8601 duration), default `PT30M`. */
  timespan?: string | undefined;
}

/** One InsightsMetrics row, reduced to what the check reads. */
export interface InsightsRow {
  name: string;
  value: number;
  time: number;
  tags: Record<string, string>;
}

/** A TokenCredential that hands out one fixed bearer token. */
export function staticTokenCredential(token: string): TokenCredential {
  return { getToken: (): Promise<AccessToken> => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

/** Reads InsightsMetrics rows out of a query result table (columns by name; `Tags` is a JSON string). */
export function rowsOf(table: LogsTable | undefined): InsightsRow[] {
  if (!table) return [];
  const index = (name: string): number => table.columnDescriptors.findIndex((c) => c.name === name);
  const [iName, iVal, iTime, iTags] = [index('Name'), index('Val'), index('TimeGenerated'), index('Tags')];
  if (iName < 0 || iVal < 0 || iTags < 0) throw new Error(`the query result lacks the InsightsMetrics columns Name, Val, Tags (has ${table.columnDescriptors.map((c) => c.name).join(', ')})`);
  return table.rows.map((r) => {
    const rawTags = r[iTags];
    let tags: Record<string, string> = {};
    if (typeof rawTags === 'string') {
      try {
        tags = JSON.parse(rawTags) as Record<string, string>;
      } catch {
        tags = {};
      }
    } else if (rawTags && typeof rawTags === 'object' && !(rawTags instanceof Date)) {
      tags = rawTags as Record<string, string>;
    }
    const t = iTime >= 0 ? r[iTime] : undefined;
    const name = r[iName];
    return { name: typeof name === 'string' ? name : JSON.stringify(name), value: Number(r[iVal]), time: t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : Number.NaN, tags };
  });
}

/**
 * The newest row of each series (rows are samples of cumulative counters; series are told apart by their tags),
 * so a sum over them is the counter's current total.
 */
export function latestRows(rows: InsightsRow[]): InsightsRow[] {
  const latest = new Map<string, InsightsRow>();
  for (const r of rows) {
    const key = JSON.stringify(Object.entries(r.tags).sort(([a], [b]) => a.localeCompare(b)));
    const prev = latest.get(key);
    if (!prev || r.time >= prev.time) latest.set(key, r);
  }
  return [...latest.values()];
}

export class LogAnalyticsSource implements MetricsSource {
  /** About 60 queries over the budget, 1 to 10 s apart. */
  pollIntervalMs(budgetMs: number): number {
    return Math.min(10_000, Math.max(1_000, Math.round(budgetMs / 60)));
  }

  /** Ingestion into the workspace has no schedule a client can see. */
  nextDataInMs(): undefined {
    return undefined;
  }

  /**
   * Connects to the workspace. The Azure SDK is loaded here, not at import: only runs that read Log Analytics
   * pay its start-up (about 0.5 s and 60 MB in every Playwright worker otherwise).
   */
  static async connect(settings: LogAnalyticsSettings, m: LogAnalyticsMapping): Promise<LogAnalyticsSource> {
    const token = settings.token ?? (settings.tokenFile ? readFileSync(settings.tokenFile, 'utf8').trim() : undefined);
    const { LogsQueryClient } = await import('@azure/monitor-query-logs');
    const credential = token ? staticTokenCredential(token) : new (await import('@azure/identity')).DefaultAzureCredential();
    const ca = settings.caFile ? readFileSync(settings.caFile, 'utf8') : undefined;
    // The same proxy rules as every other request (harness/http/proxy.ts), credentials included.
    const proxy = proxyForUrl(settings.endpoint ?? 'https://api.loganalytics.io/v1');
    const proxyUrl = proxy ? new URL(proxy) : undefined;
    const client = new LogsQueryClient(credential, {
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(proxyUrl ? { proxyOptions: { host: `${proxyUrl.protocol}//${proxyUrl.hostname}`, port: Number(proxyUrl.port || (proxyUrl.protocol === 'https:' ? 443 : 80)), ...(proxyUrl.username ? { username: decodeURIComponent(proxyUrl.username), password: decodeURIComponent(proxyUrl.password) } : {}) } } : {}),
      ...(ca ? {
        additionalPolicies: [{
          position: 'perCall' as const,
          policy: { name: 'mesh-conformance-ca', sendRequest: (req, next) => {
            req.tlsSettings = { ...req.tlsSettings, ca };
            return next(req);
          } },
        }],
      } : {}),
    });
    const description = `Log Analytics workspace ${settings.workspaceId} at ${redactUrl(settings.endpoint ?? 'https://api.loganalytics.io/v1')} (InsightsMetrics, ${token ? 'bearer token from the configuration' : 'DefaultAzureCredential'})`;
    return new LogAnalyticsSource(settings, m, client, description);
  }

  private constructor(
    private readonly settings: LogAnalyticsSettings,
    private readonly m: LogAnalyticsMapping,
    private readonly client: LogsQueryClient,
    readonly description: string,
  ) {}

  /** Runs the documented query for a namespace and returns its rows. */
  async rows(namespace: string, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<InsightsRow[]> {
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
    const result = await this.client.queryWorkspace(this.settings.workspaceId, this.m.query(namespace), { duration: this.settings.timespan ?? 'PT30M' }, { abortSignal: signal });
    // A full success has `tables`; a partial one `partialTables` and `partialError`.
    if ('tables' in result) return rowsOf(result.tables[0]);
    throw new Error(`Log Analytics answered a partial failure: ${result.partialError.message}`);
  }

  private async podRows(pod: PodRef, opts: SourceCallOptions): Promise<InsightsRow[]> {
    return (await this.rows(pod.namespace, opts)).filter((r) => r.tags[this.m.podTag] === pod.pod);
  }

  /** Rows arriving for the pod is what "a target that is up" means here. */
  async target(pod: PodRef, opts: SourceCallOptions): Promise<TargetState> {
    const rows = await this.podRows(pod, opts);
    return rows.length
      ? { up: true, text: `collected (${rows.length} rows for pod ${pod.pod})` }
      : { up: undefined, text: `not collected yet (no InsightsMetrics rows with ${this.m.namespaceTag}="${pod.namespace}", ${this.m.podTag}="${pod.pod}")` };
  }

  /** The newest row of each series of the metric whose tags match the selector's labels; null when the agent does not keep it. */
  async series(sel: SeriesSelector, pod: PodRef, opts: SourceCallOptions): Promise<Sample[] | null> {
    if (!this.m.collected.includes(sel.metric)) return null;
    const rows = (await this.podRows(pod, opts)).filter((r) => r.name === sel.metric && Object.entries(sel.labels).every(([k, v]) => r.tags[this.m.tagOf(k)] === v));
    return latestRows(rows).map((r) => ({ labels: r.tags, value: r.value }));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
