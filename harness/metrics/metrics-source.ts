/**
 * A place the metrics check reads sidecar metrics from (a Prometheus API, or a Log Analytics workspace), asked two
 * things: is the pod a scrape target that is up, and what are the series a selector picks. `connectPrometheus`
 * picks the way in: a user URL, else the mesh's in-cluster Prometheus through the service proxy, falling back to a
 * port-forward when the proxy is forbidden. The metric names come from the mesh profile (mesh-metrics.ts).
 */
import type { KubeAccess } from '../k8s/kube-access.ts';
import { errorWithCause } from '../text.ts';
import type { MeshMetrics, Sample, SeriesSelector } from './mesh-metrics.ts';
import type { MetricsConfig } from '../config/resolve-config.ts';
import type { PrometheusBuildInfo } from './prometheus-api.ts';
import { describeBuild, parseBuildInfo, parseTargetsResponse, parseVectorResponse, selector } from './prometheus-api.ts';
import type { EndpointResponse, PrometheusEndpoint, UrlAuth } from './prometheus-endpoint.ts';
import { pauseBetweenAttempts } from '../wait/delay.ts';
import { formatDuration } from '../timeouts.ts';
import { portForwardEndpoint, prometheusUrlEndpoint, serviceProxyEndpoint, statusMessage } from './prometheus-endpoint.ts';

/** Which pod's metrics to read. */
export interface PodRef {
  namespace: string;
  pod: string;
}

/** The pod as a scrape target. */
export interface TargetState {
  /** `undefined`: not among the targets (yet). */
  up: boolean | undefined;
  /** In words: `up (http://…)`, `down: connection refused (…)`, `not a target (…)`. */
  text: string;
  /**
   * When the next scrape's samples can be queried (ms since the epoch: last scrape + interval + its duration), when
   * the source knows: the earliest moment a new value can appear.
   */
  nextScrapeMs?: number;
}

/** How soon after the expected end of a scrape to ask: the time Prometheus takes to commit what it scraped. */
const afterScrapeMs = 10;
/** How often to look again while a scrape is overdue (its samples not in yet). */
const overdueRetryMs = 25;

/** Per-call limits. */
export interface SourceCallOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface MetricsSource {
  /** Who answered and how it was reached: `Prometheus 2.42.0+ds via the API server's service proxy …`. */
  readonly description: string;
  /**
   * How often the check may ask: a Prometheus query is cheap and answers right after the next scrape; Log Analytics
   * queries are rate-limited and ingestion takes minutes.
   */
  pollIntervalMs(budgetMs: number): number;
  /**
   * Milliseconds until the pod's next scrape can have landed, from what the last `target()` call saw (undefined: the
   * source does not know; poll at `pollIntervalMs`). Asking right then, rather than on a fixed fast poll, sees new
   * values as soon as they exist and spends one query per scrape.
   */
  nextDataInMs(pod: PodRef): number | undefined;
  target(pod: PodRef, opts: SourceCallOptions): Promise<TargetState>;
  /** The series the selector picks; `null` when this source does not collect that metric at all. */
  series(sel: SeriesSelector, pod: PodRef, opts: SourceCallOptions): Promise<Sample[] | null>;
  close(): Promise<void>;
}

/** The Prometheus could not be reached at all: the message says where it looked and what answered. */
export class MetricsUnreachableError extends Error {
  override readonly name = 'MetricsUnreachableError';
}

/** Reads series from a Prometheus API. */
export class PrometheusSource implements MetricsSource {
  readonly description: string;

  constructor(private readonly endpoint: PrometheusEndpoint, private readonly m: MeshMetrics, build: PrometheusBuildInfo | undefined,
    /** Matchers added to every selector (a `cluster` label, when the Prometheus serves several clusters). */
    private readonly extraLabels: Record<string, string> = {}) {
    this.description = `${build ? describeBuild(build) : 'a Prometheus-compatible API'} via ${endpoint.where}${Object.keys(extraLabels).length ? `, scoped to ${Object.entries(extraLabels).map(([k, v]) => `${k}="${v}"`).join(',')}` : ''}`;
  }

  /** The last target state seen per pod (`ns/pod`), for nextDataInMs. */
  private readonly lastSeen = new Map<string, { nextMs: number; intervalMs: number }>();

  pollIntervalMs(): number {
    return 250;
  }

  nextDataInMs(pod: PodRef): number | undefined {
    const seen = this.lastSeen.get(`${pod.namespace}/${pod.pod}`);
    if (!seen) return undefined;
    const wait = seen.nextMs + afterScrapeMs - Date.now();
    if (wait > 0) return wait;
    // Overdue: the scrape runs or its samples are being committed; look again soon, but not forever (a target that
    // stopped being scraped is a fixed poll's business).
    return -wait < seen.intervalMs ? overdueRetryMs : undefined;
  }

  async query(expr: string, opts: SourceCallOptions): Promise<Sample[]> {
    const res = await this.endpoint.get(`/api/v1/query?query=${encodeURIComponent(expr)}`, opts);
    if (res.status !== 200 && !res.body.startsWith('{"status"')) throw new Error(`query ${expr}: HTTP ${res.status} from ${this.endpoint.where}: ${statusMessage(res.body) ?? res.body.slice(0, 200)}`);
    return parseVectorResponse(res.body, expr).map(({ labels, value }) => ({ labels, value }));
  }

  async target(pod: PodRef, opts: SourceCallOptions): Promise<TargetState> {
    const { namespace: nsLabel, pod: podLabel } = this.m.targetLabels;
    const res = await this.endpoint.get('/api/v1/targets?state=active', opts);
    // A Prometheus-compatible API without the targets endpoint (managed Prometheus): the scrape's own `up` series says it.
    if (res.status === 404) {
      const up = await this.query(selector('up', { ...this.extraLabels, [nsLabel]: pod.namespace, [podLabel]: pod.pod }), opts);
      if (!up.length) return { up: undefined, text: `not a target yet (no up{${nsLabel}="${pod.namespace}",${podLabel}="${pod.pod}"} series; this API has no /api/v1/targets)` };
      return up.some((s) => s.value === 1) ? { up: true, text: 'up (its up series is 1)' } : { up: false, text: 'down (its up series is 0)' };
    }
    if (res.status !== 200) throw new Error(`targets: HTTP ${res.status} from ${this.endpoint.where}: ${statusMessage(res.body) ?? res.body.slice(0, 200)}`);
    const all = parseTargetsResponse(res.body);
    const mine = all.filter((t) => t.labels[nsLabel] === pod.namespace && t.labels[podLabel] === pod.pod);
    const up = mine.find((t) => t.health === 'up');
    const scraped = mine.find((t) => Number.isFinite(t.lastScrapeMs + t.intervalMs));
    const next = scraped ? scraped.lastScrapeMs + scraped.intervalMs + (Number.isFinite(scraped.lastScrapeDurationMs) ? scraped.lastScrapeDurationMs : 0) : undefined;
    if (scraped && next !== undefined) this.lastSeen.set(`${pod.namespace}/${pod.pod}`, { nextMs: next, intervalMs: scraped.intervalMs });
    const text = up ? `up (${up.scrapeUrl})`
      : mine[0] ? `${mine[0].health}${mine[0].lastError ? `: ${mine[0].lastError}` : ''} (${mine[0].scrapeUrl})`
        : `not a target (${all.length} active targets, none with ${nsLabel}="${pod.namespace}", ${podLabel}="${pod.pod}")`;
    return { up: up ? true : mine.length ? false : undefined, text, ...(next !== undefined ? { nextScrapeMs: next } : {}) };
  }

  series(sel: SeriesSelector, _pod: PodRef, opts: SourceCallOptions): Promise<Sample[]> {
    return this.query(selector(sel.metric, { ...sel.labels, ...this.extraLabels }), opts);
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }
}

/** Answers worth another attempt: throttled or a server error (a proxy's 502/503, an overloaded Prometheus). */
const transientStatus = (status: number): boolean => status === 429 || (status >= 500 && status <= 504);

/**
 * `/api/v1/status/buildinfo`, retried as the run's API calls are: a 429, a 5xx or a transport failure is tried
 * again (after Retry-After, capped at 2 s and at the budget) until `timeoutMs` is spent; then the last answer
 * (or error) is what counts.
 */
async function buildInfo(endpoint: PrometheusEndpoint, timeoutMs: number): Promise<{ status: number; body: string; info?: PrometheusBuildInfo; retriedMs?: number }> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    let res: EndpointResponse & { retryAfter?: string | undefined };
    try {
      res = await endpoint.get('/api/v1/status/buildinfo', { timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch (err) {
      if (Date.now() + 200 * attempt >= deadline) throw err;
      await pauseBetweenAttempts(Math.min(200 * attempt, 2_000));
      continue;
    }
    if (transientStatus(res.status)) {
      const asked = res.retryAfter !== undefined ? Number(res.retryAfter) * 1000 : Number.NaN;
      const pause = Math.min(Number.isFinite(asked) ? asked : 200 * attempt, 2_000);
      if (Date.now() + pause < deadline) {
        await pauseBetweenAttempts(pause);
        continue;
      }
      return { ...res, retriedMs: Date.now() - started };
    }
    if (res.status !== 200) return res;
    try {
      return { ...res, info: parseBuildInfo(res.body) };
    } catch {
      return res; // A Prometheus-compatible API without buildinfo (some managed services): still usable.
    }
  }
}

const retried = (res: { retriedMs?: number }): string => (res.retriedMs !== undefined ? ` (still so after retrying for ${formatDuration(res.retriedMs)})` : '');

/** Where to read Prometheus metrics from. */
export type PrometheusChoice =
  | { kind: 'url'; url: string; auth: UrlAuth; extraLabels?: Record<string, string> }
  | { kind: 'in-cluster'; kubeConfig: KubeAccess };

/** The audience of Azure Monitor managed Prometheus's query API (istio.md §5.2). */
export const managedPrometheusScope = 'https://prometheus.monitor.azure.com/.default';

/**
 * Where the configuration says to read Prometheus: a URL (with its token, token file, CA, Entra ID credential and
 * `cluster` scope), else the mesh's Prometheus in the cluster. Loads the Azure SDK only for `prometheusAuth: azure`.
 */
export function prometheusChoiceOf(cfg: MetricsConfig, kubeConfig: KubeAccess): PrometheusChoice {
  if (!cfg.prometheusUrl) return { kind: 'in-cluster', kubeConfig };
  const tokenProvider = cfg.prometheusAuth === 'azure'
    ? async (): Promise<string> => {
      const { DefaultAzureCredential } = await import('@azure/identity');
      const token = await new DefaultAzureCredential().getToken(managedPrometheusScope);
      return token.token;
    }
    : undefined;
  return {
    kind: 'url', url: cfg.prometheusUrl,
    auth: { token: cfg.prometheusToken, tokenFile: cfg.prometheusTokenFile, caFile: cfg.prometheusCaFile, tokenProvider },
    ...(cfg.cluster ? { extraLabels: { cluster: cfg.cluster } } : {}),
  };
}

/**
 * Connects to Prometheus and says who answered (buildinfo). In-cluster: the service proxy first; a 403 (RBAC
 * without `services/proxy`) falls back to a port-forward; anything else unreachable is a `MetricsUnreachableError`
 * naming where it looked and what answered.
 */
export async function connectPrometheus(choice: PrometheusChoice, m: MeshMetrics, opts: { timeoutMs: number }): Promise<PrometheusSource> {
  const p = m.prometheus;
  const hint = `check that the mesh's Prometheus runs (Service ${p.namespace}/${p.service}${p.installHint ? `; ${p.installHint}` : ''}), or point the check at your own with --prometheus-url`;
  if (choice.kind === 'url') {
    const endpoint = prometheusUrlEndpoint(choice.url, choice.auth);
    const res = await buildInfo(endpoint, opts.timeoutMs).catch((err: unknown) => {
      throw new MetricsUnreachableError(`Prometheus is unreachable at ${endpoint.where}: ${errorWithCause(err)}`);
    });
    if (res.status === 401 || res.status === 403) throw new MetricsUnreachableError(`Prometheus at ${endpoint.where} refused the request (HTTP ${res.status}); check MESH_CONFORMANCE_PROMETHEUS_TOKEN, --prometheus-token-file, or --prometheus-auth azure for managed Prometheus`);
    if (res.status >= 500 || res.status === 429) throw new MetricsUnreachableError(`Prometheus is unreachable at ${endpoint.where}: HTTP ${res.status} ${res.body.slice(0, 200)}${retried(res)}`);
    return new PrometheusSource(endpoint, m, res.info, choice.extraLabels);
  }
  const proxy = serviceProxyEndpoint(choice.kubeConfig, p);
  const res = await buildInfo(proxy, opts.timeoutMs).catch((err: unknown) => {
    throw new MetricsUnreachableError(`Prometheus is unreachable: ${proxy.where} failed: ${errorWithCause(err)}; ${hint}`);
  });
  if (res.status === 200) return new PrometheusSource(proxy, m, res.info);
  if (res.status === 403) {
    const forward = await portForwardEndpoint(choice.kubeConfig, p, opts).catch((err: unknown) => {
      throw new MetricsUnreachableError(`Prometheus is unreachable: the service proxy is forbidden (${statusMessage(res.body) ?? 'HTTP 403'}) and port-forwarding failed: ${errorWithCause(err)}; ${hint}`);
    });
    const viaForward = await buildInfo(forward, opts.timeoutMs).catch(async (err: unknown) => {
      await forward.close();
      throw new MetricsUnreachableError(`Prometheus is unreachable through ${forward.where}: ${errorWithCause(err)}; ${hint}`);
    });
    return new PrometheusSource(forward, m, viaForward.info);
  }
  throw new MetricsUnreachableError(`Prometheus is unreachable: ${proxy.where} answered ${res.status} ${statusMessage(res.body) ?? res.body.slice(0, 200)}${retried(res)}; ${hint}`);
}
