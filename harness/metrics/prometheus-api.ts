/**
 * The parts of the Prometheus HTTP API the metrics check reads, parsed strictly: instant queries
 * (`/api/v1/query`, resultType vector), active targets (`/api/v1/targets`) and build info
 * (`/api/v1/status/buildinfo`). Anything else is a `PrometheusResponseError` naming what was wrong.
 */

/** One series of an instant vector. */
export interface VectorSample {
  labels: Record<string, string>;
  value: number;
  /** Evaluation time, seconds since the epoch. */
  timestamp: number;
}

/** One active scrape target. */
export interface ScrapeTarget {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  scrapeUrl: string;
}

/** Who answered: `/api/v1/status/buildinfo`. */
export interface PrometheusBuildInfo {
  version: string;
  revision: string;
}

/** The body was not what the Prometheus API returns, or it reported an error. */
export class PrometheusResponseError extends Error {
  override readonly name = 'PrometheusResponseError';
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, what: string): Json {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PrometheusResponseError(`${what}: the answer is not JSON: ${text.slice(0, 200)}`);
  }
  if (!isObject(body)) throw new PrometheusResponseError(`${what}: the answer is not a JSON object`);
  if (body.status === 'error') throw new PrometheusResponseError(`${what}: Prometheus answered ${typeof body.errorType === 'string' ? body.errorType : 'error'}: ${typeof body.error === 'string' ? body.error : ''}`);
  if (body.status !== 'success' || !isObject(body.data)) throw new PrometheusResponseError(`${what}: expected {"status":"success","data":{…}}, got ${text.slice(0, 200)}`);
  return body.data;
}

function stringRecord(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
}

/** Parses an instant query answer; only `vector` results are accepted (the check queries selectors). */
export function parseVectorResponse(text: string, query: string): VectorSample[] {
  const what = `query ${query}`;
  const data = parseJson(text, what);
  if (data.resultType !== 'vector') throw new PrometheusResponseError(`${what}: expected resultType vector, got ${String(data.resultType)}`);
  if (!Array.isArray(data.result)) throw new PrometheusResponseError(`${what}: result is not a list`);
  return data.result.map((r: unknown) => {
    const value = isObject(r) && Array.isArray(r.value) ? r.value : undefined;
    if (!isObject(r) || !value || value.length !== 2) throw new PrometheusResponseError(`${what}: malformed sample ${JSON.stringify(r).slice(0, 200)}`);
    const n = Number(value[1]);
    if (typeof value[1] !== 'string' || (Number.isNaN(n) && value[1] !== 'NaN')) throw new PrometheusResponseError(`${what}: sample value is not a number: ${JSON.stringify(value[1])}`);
    return { labels: stringRecord(r.metric), value: n, timestamp: Number(value[0]) };
  });
}

/** Parses `/api/v1/targets`: the active targets. */
export function parseTargetsResponse(text: string): ScrapeTarget[] {
  const data = parseJson(text, 'targets');
  if (!Array.isArray(data.activeTargets)) throw new PrometheusResponseError('targets: activeTargets is not a list');
  return data.activeTargets.filter(isObject).map((t) => ({
    labels: stringRecord(t.labels),
    health: t.health === 'up' || t.health === 'down' ? t.health : 'unknown',
    lastError: typeof t.lastError === 'string' ? t.lastError : '',
    scrapeUrl: typeof t.scrapeUrl === 'string' ? t.scrapeUrl : '',
  }));
}

/** Parses `/api/v1/status/buildinfo`. */
export function parseBuildInfo(text: string): PrometheusBuildInfo {
  const data = parseJson(text, 'buildinfo');
  if (typeof data.version !== 'string') throw new PrometheusResponseError('buildinfo: no version');
  return { version: data.version, revision: typeof data.revision === 'string' ? data.revision : '' };
}

/** `Prometheus 2.42.0+ds`, or the simulator's stand-in named as such. */
export function describeBuild(info: PrometheusBuildInfo | undefined): string {
  if (!info) return 'Prometheus (version unknown: /api/v1/status/buildinfo did not answer)';
  if (info.version.includes('standin')) return `the simulator's built-in Prometheus stand-in ${info.version} (Debian's prometheus is not installed)`;
  return `Prometheus ${info.version}`;
}

/** Builds an instant vector selector: `name{a="x",b="y"}` with label values escaped. */
export function selector(metric: string, labels: Record<string, string>): string {
  const matchers = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return `${metric}{${matchers.join(',')}}`;
}
