/**
 * A place the metrics check reads sidecar metrics from (a Prometheus API or a Log Analytics workspace), reduced to
 * one snapshot per poll: is the pod a scrape target that is up, the sidecar's live gauge, and its count of
 * successful upstream requests. `connectPrometheus` picks the way in: a user URL, else the in-cluster Prometheus
 * through the service proxy, falling back to a port-forward when the proxy is forbidden.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { MeshMetricsExpectations } from '../mesh/mesh-metrics.ts';
import type { PrometheusBuildInfo, ScrapeTarget, VectorSample } from './prometheus-api.ts';
import { describeBuild, parseBuildInfo, parseTargetsResponse, parseVectorResponse, selector } from './prometheus-api.ts';
import type { PrometheusEndpoint } from './prometheus-endpoint.ts';
import { portForwardEndpoint, prometheusUrlEndpoint, serviceProxyEndpoint, statusMessage } from './prometheus-endpoint.ts';

/** What one poll saw about the pod's sidecar metrics. */
export interface EnvoyMetricsSnapshot {
  /** Whether the pod is a scrape target that is up (`undefined`: not among the targets). */
  targetUp: boolean | undefined;
  /** The target in words: `up`, `down: connection refused`, `not a target`. */
  target: string;
  /** The live gauge (undefined: no series; `null`: this source does not collect it). */
  live: number | undefined | null;
  /** Successful upstream requests counted for the pod (undefined: no series). */
  successfulRequests: number | undefined;
}

/** Which pod's metrics to read. */
export interface MetricsSubject {
  namespace: string;
  pod: string;
}

export interface MetricsSource {
  /** Who answered and how it was reached: `Prometheus 2.42.0+ds via the API server's service proxy …`. */
  readonly description: string;
  /**
   * How often the check may ask: a Prometheus query is cheap and answers right after the next scrape, so polling
   * it often cuts the time to verdict; Log Analytics queries are rate-limited and ingestion takes minutes.
   */
  pollIntervalMs(budgetMs: number): number;
  snapshot(subject: MetricsSubject, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<EnvoyMetricsSnapshot>;
  close(): Promise<void>;
}

/** The Prometheus could not be reached at all: the message says where it looked and what answered. */
export class MetricsUnreachableError extends Error {
  override readonly name = 'MetricsUnreachableError';
}

/** A snapshot in words, for `last seen:` in timeout messages. */
export function describeSnapshot(s: EnvoyMetricsSnapshot, m: MeshMetricsExpectations): string {
  const live = s.live === null ? 'not collected by this source' : s.live ?? 'no series';
  return `target ${s.target}; ${m.liveMetric}=${live}; ${m.requestsMetric}{${Object.entries(m.successLabels).map(([k, v]) => `${k}="${v}"`).join(',')}}=${s.successfulRequests ?? 'no series'}`;
}

/** Reads the pod's series from a Prometheus API (OSM's `source_*` labels). */
export class PrometheusSource implements MetricsSource {
  readonly description: string;
  pollIntervalMs(): number {
    return 250;
  }

  constructor(private readonly endpoint: PrometheusEndpoint, private readonly m: MeshMetricsExpectations, build: PrometheusBuildInfo | undefined) {
    this.description = `${describeBuild(build)} via ${endpoint.where}`;
  }

  async query(expr: string, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<VectorSample[]> {
    const res = await this.endpoint.get(`/api/v1/query?query=${encodeURIComponent(expr)}`, opts);
    if (res.status !== 200 && !res.body.startsWith('{"status"')) throw new Error(`query ${expr}: HTTP ${res.status} from ${this.endpoint.where}: ${statusMessage(res.body) ?? res.body.slice(0, 200)}`);
    return parseVectorResponse(res.body, expr);
  }

  async targets(opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<ScrapeTarget[]> {
    const res = await this.endpoint.get('/api/v1/targets?state=active', opts);
    if (res.status !== 200) throw new Error(`targets: HTTP ${res.status} from ${this.endpoint.where}: ${statusMessage(res.body) ?? res.body.slice(0, 200)}`);
    return parseTargetsResponse(res.body);
  }

  async snapshot(subject: MetricsSubject, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<EnvoyMetricsSnapshot> {
    const m = this.m;
    const ofPod = (labels: Record<string, string>): boolean => labels[m.namespaceLabel] === subject.namespace && labels[m.podLabel] === subject.pod;
    const [targets, live, requests] = await Promise.all([
      this.targets(opts),
      this.query(selector(m.liveMetric, { [m.namespaceLabel]: subject.namespace }), opts),
      this.query(selector(m.requestsMetric, { [m.namespaceLabel]: subject.namespace, ...m.successLabels }), opts),
    ]);
    const mine = targets.filter((t) => ofPod(t.labels));
    const up = mine.find((t) => t.health === 'up');
    const target = up ? `up (${up.scrapeUrl})` : mine[0] ? `${mine[0].health}${mine[0].lastError ? `: ${mine[0].lastError}` : ''} (${mine[0].scrapeUrl})` : `not a target (${targets.length} active targets, none with ${m.namespaceLabel}="${subject.namespace}", ${m.podLabel}="${subject.pod}")`;
    const liveOfPod = live.filter((s) => ofPod(s.labels));
    const reqOfPod = requests.filter((s) => ofPod(s.labels));
    return {
      targetUp: up ? true : mine.length ? false : undefined,
      target,
      live: liveOfPod.length ? Math.min(...liveOfPod.map((s) => s.value)) : undefined,
      successfulRequests: reqOfPod.length ? reqOfPod.reduce((sum, s) => sum + s.value, 0) : undefined,
    };
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }
}

async function buildInfo(endpoint: PrometheusEndpoint, timeoutMs: number): Promise<{ status: number; body: string; info?: PrometheusBuildInfo }> {
  const res = await endpoint.get('/api/v1/status/buildinfo', { timeoutMs });
  if (res.status !== 200) return res;
  try {
    return { ...res, info: parseBuildInfo(res.body) };
  } catch {
    return res; // A Prometheus-compatible API without buildinfo (some managed services): still usable.
  }
}

/** Where to read Prometheus metrics from. */
export type PrometheusChoice =
  | { kind: 'url'; url: string; token?: string | undefined }
  | { kind: 'in-cluster'; kubeConfig: KubeConfig };

/**
 * Connects to Prometheus and says who answered (buildinfo). In-cluster: the service proxy first; a 403 (RBAC
 * without `services/proxy`) falls back to a port-forward; anything else unreachable is a `MetricsUnreachableError`
 * naming where it looked and what answered.
 */
export async function connectPrometheus(choice: PrometheusChoice, m: MeshMetricsExpectations, opts: { timeoutMs: number }): Promise<PrometheusSource> {
  const hint = 'check that the mesh\'s Prometheus runs (OSM: `osm install --set osm.deployPrometheus=true`), or point the check at your own with MESH_CONFORMANCE_PROMETHEUS_URL';
  if (choice.kind === 'url') {
    const endpoint = prometheusUrlEndpoint(choice.url, choice.token);
    const res = await buildInfo(endpoint, opts.timeoutMs).catch((err: unknown) => {
      throw new MetricsUnreachableError(`Prometheus is unreachable at ${endpoint.where}: ${errorText(err)}`);
    });
    if (res.status === 401 || res.status === 403) throw new MetricsUnreachableError(`Prometheus at ${endpoint.where} refused the request (HTTP ${res.status}); check MESH_CONFORMANCE_PROMETHEUS_TOKEN`);
    if (res.status >= 500) throw new MetricsUnreachableError(`Prometheus is unreachable at ${endpoint.where}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return new PrometheusSource(endpoint, m, res.info);
  }
  const proxy = serviceProxyEndpoint(choice.kubeConfig, m.prometheus);
  const res = await buildInfo(proxy, opts.timeoutMs).catch((err: unknown) => {
    throw new MetricsUnreachableError(`Prometheus is unreachable: ${proxy.where} failed: ${errorText(err)}; ${hint}`);
  });
  if (res.status === 200) return new PrometheusSource(proxy, m, res.info);
  if (res.status === 403) {
    const forward = await portForwardEndpoint(choice.kubeConfig, m.prometheus, opts).catch((err: unknown) => {
      throw new MetricsUnreachableError(`Prometheus is unreachable: the service proxy is forbidden (${statusMessage(res.body) ?? 'HTTP 403'}) and port-forwarding failed: ${errorText(err)}; ${hint}`);
    });
    const viaForward = await buildInfo(forward, opts.timeoutMs).catch(async (err: unknown) => {
      await forward.close();
      throw new MetricsUnreachableError(`Prometheus is unreachable through ${forward.where}: ${errorText(err)}; ${hint}`);
    });
    return new PrometheusSource(forward, m, viaForward.info);
  }
  throw new MetricsUnreachableError(`Prometheus is unreachable: ${proxy.where} answered ${res.status} ${statusMessage(res.body) ?? res.body.slice(0, 200)}; ${hint}`);
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
