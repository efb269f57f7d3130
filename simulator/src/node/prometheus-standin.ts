/**
 * The built-in Prometheus stand-in, used only when the real server (`/usr/bin/prometheus`, Debian's `prometheus`)
 * is not installed. It does what OSM's `kubernetes-pods` job does (prometheus-config.ts) in code: every interval it
 * scrapes the pods annotated `prometheus.io/scrape=true`, adds the `source_*` labels and keeps OSM's metric names.
 * It answers a small part of the HTTP API: `/api/v1/query` for instant vector selectors with label matchers (no
 * functions or operators), `/api/v1/targets`, `/-/ready`, `/-/healthy` and `/api/v1/status/buildinfo`, whose
 * version says it is the stand-in, so a client can report which Prometheus answered.
 */
import http from 'node:http';
import type { KubeObject } from '../cluster/types.ts';
import type { ContainerContext, RunningContainer } from './container.ts';
import { inProcessContainer } from './container.ts';
import { field, nodeKinds } from './kinds.ts';
import { listenOn } from './network.ts';
import { osmDroppedLabels, osmKeepsMetric } from './prometheus-config.ts';
import { parsePrometheusText, scrapeTargetOf, scrapeText } from './prometheus-text.ts';

export const standinVersion = '2.42.0-mesh-conformance-standin';

interface Series {
  labels: Record<string, string>;
  value: number;
  timestampMs: number;
}

interface TargetState {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
}

/** Matchers of an instant vector selector: `name{a="x",b!="y",c=~"re",d!~"re"}`. */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Parses an instant vector selector; undefined for anything else (functions, operators, ranges). */
export function parseSelector(expr: string): LabelMatcher[] | undefined {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s.exec(expr);
  if (!m || (!m[1] && m[2] === undefined)) return undefined;
  const matchers: LabelMatcher[] = m[1] ? [{ name: '__name__', op: '=', value: m[1] }] : [];
  let rest = (m[2] ?? '').trim();
  const re = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,\s*|$)/;
  while (rest) {
    const mm = re.exec(rest);
    if (!mm) return undefined;
    matchers.push({ name: mm[1]!, op: mm[2] as LabelMatcher['op'], value: mm[3]!.replace(/\\(.)/g, '$1') });
    rest = rest.slice(mm[0].length).trim();
  }
  return matchers.length ? matchers : undefined;
}

function matches(labels: Record<string, string>, matchers: LabelMatcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=': return v === m.value;
      case '!=': return v !== m.value;
      case '=~': return new RegExp(`^(?:${m.value})$`).test(v);
      case '!~': return !new RegExp(`^(?:${m.value})$`).test(v);
    }
  });
}

/** The `source_*` labels OSM's relabel rules derive from a pod (ReplicaSet owners become their Deployment). */
export function sourceLabelsOf(pod: KubeObject): Record<string, string> {
  const labels: Record<string, string> = {
    source_namespace: pod.metadata.namespace ?? '',
    source_pod_name: pod.metadata.name ?? '',
  };
  const app = pod.metadata.labels?.app;
  if (app) labels.source_service = app;
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (owner) {
    const rs = owner.kind === 'ReplicaSet' ? /^(.*)-[^-]+$/.exec(owner.name) : null;
    labels.source_workload_kind = rs ? 'Deployment' : owner.kind;
    labels.source_workload_name = rs ? rs[1]! : owner.name;
  }
  return labels;
}

/** What the stand-in does in code that a scrape configuration says: the target labels and the metric filter. */
export interface StandinRelabeling {
  /** The labels a pod's target gets (besides `instance` and `job`). */
  targetLabels(pod: KubeObject): Record<string, string>;
  /** Whether a scraped metric is kept (metric_relabel_configs). */
  keep(name: string): boolean;
  /** Labels dropped from every series. */
  dropped: readonly string[];
  /** `honor_labels`: on a clash, the scraped metric's label wins over the target's. */
  honorLabels: boolean;
}

/** OSM's `kubernetes-pods` job (prometheus-config.ts). */
export const osmRelabeling: StandinRelabeling = { targetLabels: sourceLabelsOf, keep: osmKeepsMetric, dropped: osmDroppedLabels, honorLabels: false };

/** Starts the stand-in on podIP:<port>; it scrapes until stopped. */
export async function startPrometheusStandin(ctx: ContainerContext, port: number, intervalMs: number, relabeling: StandinRelabeling = osmRelabeling): Promise<RunningContainer> {
  const kinds = nodeKinds(ctx.store);
  const series = new Map<string, Series>();
  const targets = new Map<string, TargetState>();
  const log = (level: string, msg: string): void => ctx.log(`ts=${ctx.clock().toISOString()} caller=standin.go:1 level=${level} component=standin msg="${msg}"`);

  const scrapeAll = async (): Promise<void> => {
    const seen = new Set<string>();
    const pods = ctx.store.list(kinds.pod).items;
    await Promise.all(pods.map(async (pod) => {
      const target = scrapeTargetOf(pod);
      if (!target) return;
      const instance = `${target.host}:${target.port}`;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}/${instance}`;
      seen.add(key);
      const targetLabels = { instance, job: 'kubernetes-pods', ...relabeling.targetLabels(pod) };
      const started = Date.now();
      const state: TargetState = targets.get(key) ?? {
        labels: targetLabels,
        discoveredLabels: { __address__: instance, __meta_kubernetes_namespace: pod.metadata.namespace ?? '', __meta_kubernetes_pod_name: pod.metadata.name ?? '', __metrics_path__: target.path, job: 'kubernetes-pods' },
        scrapeUrl: `http://${instance}${target.path}`, health: 'unknown', lastError: '', lastScrape: '', lastScrapeDuration: 0,
      };
      targets.set(key, state);
      let up = 0;
      try {
        const text = await scrapeText(target, Math.max(500, intervalMs), ctx.network);
        for (const s of parsePrometheusText(text)) {
          if (!relabeling.keep(s.name)) continue;
          const labels: Record<string, string> = relabeling.honorLabels ? { ...targetLabels, ...s.labels, __name__: s.name } : { ...s.labels, ...targetLabels, __name__: s.name };
          for (const dropped of relabeling.dropped) delete labels[dropped];
          series.set(seriesKey(labels), { labels, value: s.value, timestampMs: started });
        }
        up = 1;
        state.health = 'up';
        state.lastError = '';
      } catch (err) {
        state.health = 'down';
        state.lastError = err instanceof Error ? err.message : String(err);
      }
      const upLabels = { ...targetLabels, __name__: 'up' };
      series.set(seriesKey(upLabels), { labels: upLabels, value: up, timestampMs: started });
      state.lastScrape = new Date(started).toISOString();
      state.lastScrapeDuration = (Date.now() - started) / 1000;
    }));
    for (const key of [...targets.keys()]) if (!seen.has(key)) targets.delete(key);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (url.pathname === '/-/ready' || url.pathname === '/-/healthy') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(url.pathname === '/-/ready' ? 'Prometheus Server is Ready.\n' : 'Prometheus Server is Healthy.\n');
      return;
    }
    if (url.pathname === '/api/v1/status/buildinfo') {
      send(200, { status: 'success', data: { version: standinVersion, revision: 'standin', branch: 'mesh-conformance', buildUser: 'mesh-conformance simulator', buildDate: '', goVersion: 'node' } });
      return;
    }
    if (url.pathname === '/api/v1/targets') {
      const active = [...targets.values()].map((t) => ({
        discoveredLabels: t.discoveredLabels, labels: t.labels, scrapePool: 'kubernetes-pods', scrapeUrl: t.scrapeUrl, globalUrl: t.scrapeUrl,
        lastError: t.lastError, lastScrape: t.lastScrape, lastScrapeDuration: t.lastScrapeDuration, health: t.health,
        scrapeInterval: `${intervalMs / 1000}s`, scrapeTimeout: `${intervalMs / 1000}s`,
      }));
      send(200, { status: 'success', data: { activeTargets: active, droppedTargets: [] } });
      return;
    }
    if (url.pathname === '/api/v1/query') {
      void readQuery(req, url).then((query) => {
        const matchers = parseSelector(query);
        if (!matchers) {
          send(400, { status: 'error', errorType: 'bad_data', error: `the built-in Prometheus stand-in evaluates instant vector selectors only (name{label="value",...}); got ${JSON.stringify(query)}` });
          return;
        }
        const now = Date.now();
        const result = [...series.values()]
          .filter((s) => now - s.timestampMs < 5 * 60_000 && matches(s.labels, matchers))
          .map((s) => ({ metric: s.labels, value: [s.timestampMs / 1000, String(s.value)] }));
        send(200, { status: 'success', data: { resultType: 'vector', result } });
      });
      return;
    }
    send(404, { status: 'error', errorType: 'not_found', error: `the built-in Prometheus stand-in does not serve ${url.pathname}` });
  });
  await listenOn(server, ctx.podIP, port);
  log('info', `Starting the built-in Prometheus stand-in (/usr/bin/prometheus is not installed), version=${standinVersion}`);
  log('info', `Listening on ${ctx.podIP}:${port}`);
  log('info', 'Server is ready to receive web requests.');

  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const loop = (): void => {
    void scrapeAll().finally(() => {
      if (running) timer = setTimeout(loop, intervalMs);
    });
  };
  loop();

  return inProcessContainer(async () => {
    running = false;
    clearTimeout(timer);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  });
}

function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

async function readQuery(req: http.IncomingMessage, url: URL): Promise<string> {
  const fromUrl = url.searchParams.get('query');
  if (fromUrl !== null || req.method !== 'POST') return fromUrl ?? '';
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('query') ?? '';
}

/** Exported for unit tests. */
export const _private = { matches, field };
