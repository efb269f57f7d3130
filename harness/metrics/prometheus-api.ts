/**
 * The parts of the Prometheus HTTP API the metrics check reads, validated with zod: instant queries
 * (`/api/v1/query`, resultType vector), active targets (`/api/v1/targets`) and build info
 * (`/api/v1/status/buildinfo`). Anything else is a `PrometheusResponseError` naming what was wrong.
 */
import { z } from 'zod';

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
  /** When it was last scraped (ms since the epoch; NaN when not yet) and how often (ms; NaN when unknown). */
  lastScrapeMs: number;
  intervalMs: number;
  /** How long the last scrape took (ms; NaN when unknown): its samples are queryable once it ends. */
  lastScrapeDurationMs: number;
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

const labelSet = z.record(z.string(), z.unknown()).transform((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v === 'string')) as Record<string, string>);
const envelope = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.record(z.string(), z.unknown()) }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);
const sampleValue = z.tuple([z.number(), z.unknown()]).refine(([, v]) => typeof v === 'string' && (!Number.isNaN(Number(v)) || v === 'NaN'), { message: 'sample value is not a number' });
const vectorData = z.object({ resultType: z.string(), result: z.array(z.unknown()) });
const vectorSample = z.object({ metric: labelSet.optional(), value: sampleValue });
const targetsData = z.object({ activeTargets: z.array(z.unknown()) });
const target = z.object({
  labels: labelSet.optional(),
  health: z.string().optional(),
  lastError: z.string().optional(),
  scrapeUrl: z.string().optional(),
  lastScrape: z.string().optional(),
  scrapeInterval: z.string().optional(),
  lastScrapeDuration: z.number().optional(),
});
const buildInfo = z.object({ version: z.string(), revision: z.string().optional() });

/** Parses the `{status, data}` envelope; a Prometheus error or a non-JSON answer is a `PrometheusResponseError`. */
function parseData(text: string, what: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PrometheusResponseError(`${what}: the answer is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = envelope.safeParse(body);
  if (!parsed.success) throw new PrometheusResponseError(`${what}: expected {"status":"success","data":{…}}, got ${text.slice(0, 200)}`);
  if (parsed.data.status === 'error') throw new PrometheusResponseError(`${what}: Prometheus answered ${parsed.data.errorType ?? 'error'}: ${parsed.data.error ?? ''}`);
  return parsed.data.data;
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string, describe: (issue: string) => string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new PrometheusResponseError(`${what}: ${describe(r.error.issues[0]?.message ?? 'malformed')}`);
  return r.data;
}

/** Parses an instant query answer; only `vector` results are accepted (the check queries selectors). */
export function parseVectorResponse(text: string, query: string): VectorSample[] {
  const what = `query ${query}`;
  const data = check(vectorData, parseData(text, what), what, () => 'result is not a list');
  if (data.resultType !== 'vector') throw new PrometheusResponseError(`${what}: expected resultType vector, got ${data.resultType}`);
  return data.result.map((r) => {
    const s = check(vectorSample, r, what, (issue) => issue === 'sample value is not a number' ? `sample value is not a number: ${JSON.stringify((r as { value?: unknown[] }).value?.[1])}` : `malformed sample ${JSON.stringify(r).slice(0, 200)}`);
    return { labels: s.metric ?? {}, value: Number(s.value[1]), timestamp: s.value[0] };
  });
}

/** Prometheus durations as `scrapeInterval` shows them: `15s`, `1m`, `1m30s`, `500ms`. */
function durationMs(text: string | undefined): number {
  if (!text) return Number.NaN;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(/(\d+)(ms|s|m|h)/g)) {
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 0);
    matched += m[0];
  }
  return matched === text ? total : Number.NaN;
}

/** Parses `/api/v1/targets`: the active targets. */
export function parseTargetsResponse(text: string): ScrapeTarget[] {
  const data = check(targetsData, parseData(text, 'targets'), 'targets', () => 'activeTargets is not a list');
  return data.activeTargets.flatMap((t) => {
    const r = target.safeParse(t);
    if (!r.success) return [];
    const health = r.data.health === 'up' || r.data.health === 'down' ? r.data.health : 'unknown';
    return [{
      labels: r.data.labels ?? {}, health, lastError: r.data.lastError ?? '', scrapeUrl: r.data.scrapeUrl ?? '',
      lastScrapeMs: r.data.lastScrape ? Date.parse(r.data.lastScrape) : Number.NaN, intervalMs: durationMs(r.data.scrapeInterval),
      lastScrapeDurationMs: r.data.lastScrapeDuration !== undefined ? r.data.lastScrapeDuration * 1_000 : Number.NaN,
    }];
  });
}

/** Parses `/api/v1/status/buildinfo`. */
export function parseBuildInfo(text: string): PrometheusBuildInfo {
  const data = check(buildInfo, parseData(text, 'buildinfo'), 'buildinfo', () => 'no version');
  return { version: data.version, revision: data.revision ?? '' };
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
