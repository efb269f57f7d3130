/**
 * Azure Monitor managed Prometheus for the istio-aks flavor (istio.md §5.2), outside the cluster as on Azure: a
 * collector that scrapes the pods annotated `prometheus.io/scrape=true` of the whole cluster (path and port from the
 * annotations, as the pod-annotation based scraping of ama-metrics) every `managedPrometheusIntervalMs`, adds the
 * labels `job`, `instance`, `namespace`, `pod` and `cluster` (the AKS cluster's name) to every series, and a query
 * endpoint on HTTPS (its own CA, written next to the kubeconfig) that answers the Prometheus HTTP API paths managed
 * Prometheus documents: `/api/v1/query`, `/api/v1/query_range`, `/api/v1/series`, `/api/v1/labels` and
 * `/api/v1/label/<name>/values`. `/api/v1/targets` and `/api/v1/status/buildinfo` are not offered (404), as on Azure.
 * Every request needs `Authorization: Bearer <token>` (401 otherwise; the token is written to a file), and every query
 * must name a metric (400 otherwise). The PromQL understood is promql-lite.ts's.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ObjectStore, SimNetwork } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import { createServingCertificate } from '../api/tls.ts';
import { nodeKinds } from '../node/kinds.ts';
import { parsePrometheusText, scrapeTargetOf, scrapeText } from '../node/prometheus-text.ts';
import { evaluate, parseQuery, QueryError } from './promql-lite.ts';
import type { StoredSeries } from './promql-lite.ts';

export interface ManagedPrometheus {
  endpoint: string;
  tokenFile: string;
  caFile: string;
  cluster: string;
  stop(): Promise<void>;
}

/** Samples kept per series (enough for rate() over a few minutes at the quick interval). */
const maxSamplesPerSeries = 600;

export async function startManagedPrometheus(opts: { store: ObjectStore; intervalMs: number; dir: string; cluster: string; network?: Pick<SimNetwork, 'dialAddressOf'>; log?: (line: string) => void }): Promise<ManagedPrometheus> {
  const { store } = opts;
  const kinds = nodeKinds(store);
  const token = randomBytes(24).toString('base64url');
  const series = new Map<string, StoredSeries>();

  const collect = async (): Promise<void> => {
    const now = Date.now();
    await Promise.all(store.list(kinds.pod).items.map(async (pod) => {
      const target = scrapeTargetOf(pod);
      if (!target) return;
      const text = await scrapeText(target, Math.max(1_000, opts.intervalMs), opts.network).catch(() => undefined);
      const instance = `${target.host}:${target.port}`;
      const base = { job: 'kubernetes-pods', instance, namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name ?? '', cluster: opts.cluster };
      const add = (name: string, labels: Record<string, string>, value: number): void => {
        const all = { ...labels, ...base, __name__: name };
        const key = JSON.stringify(Object.entries(all).sort());
        const s: StoredSeries = series.get(key) ?? { labels: all, samples: [] };
        s.samples.push({ t: now, v: value });
        if (s.samples.length > maxSamplesPerSeries) s.samples.splice(0, s.samples.length - maxSamplesPerSeries);
        series.set(key, s);
      };
      add('up', {}, text === undefined ? 0 : 1);
      if (text !== undefined) for (const sample of parsePrometheusText(text)) add(sample.name, sample.labels, sample.value);
    }));
  };
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const loop = (): void => {
    void collect().catch((e: unknown) => opts.log?.(`managed prometheus: ${String(e)}`)).finally(() => {
      if (running) timer = setTimeout(loop, opts.intervalMs);
    });
  };
  loop();

  const cert = await createServingCertificate();
  const send = (res: ServerResponse, code: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!bearerMatches(req.headers.authorization, token)) {
      res.setHeader('www-authenticate', 'Bearer');
      send(res, 401, { status: 'error', errorType: 'unauthorized', error: 'a valid bearer token for https://prometheus.monitor.azure.com is required' });
      return;
    }
    const url = new URL(req.url ?? '/', 'https://localhost');
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params.append(k, v);
    }
    const all = [...series.values()];
    const timeParam = (name: string, fallback: number): number => {
      const v = params.get(name);
      if (v === null) return fallback;
      const n = Number(v);
      return Number.isFinite(n) ? n * 1000 : Date.parse(v);
    };
    try {
      switch (url.pathname) {
        case '/api/v1/query': {
          const at = timeParam('time', Date.now());
          const result = evaluate(parseQuery(params.get('query') ?? ''), all, at).map((e) => ({ metric: e.metric, value: [at / 1000, String(e.value)] }));
          send(res, 200, { status: 'success', data: { resultType: 'vector', result } });
          return;
        }
        case '/api/v1/query_range': {
          const expr = parseQuery(params.get('query') ?? '');
          const start = timeParam('start', Date.now());
          const end = timeParam('end', Date.now());
          const step = Math.max(1, Number(params.get('step') ?? '15')) * 1000;
          const byMetric = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
          for (let t = start; t <= end && byMetric.size < 10_000; t += step) {
            for (const e of evaluate(expr, all, t)) {
              const key = JSON.stringify(Object.entries(e.metric).sort());
              const entry = byMetric.get(key) ?? { metric: e.metric, values: [] };
              entry.values.push([t / 1000, String(e.value)]);
              byMetric.set(key, entry);
            }
          }
          send(res, 200, { status: 'success', data: { resultType: 'matrix', result: [...byMetric.values()] } });
          return;
        }
        case '/api/v1/series': {
          const matched = params.getAll('match[]').flatMap((m) => {
            const expr = parseQuery(m);
            if (expr.kind !== 'selector') throw new QueryError('match[] must be a series selector');
            return evaluate(expr, all, Date.now()).map((e) => e.metric);
          });
          send(res, 200, { status: 'success', data: matched });
          return;
        }
        case '/api/v1/labels': {
          send(res, 200, { status: 'success', data: [...new Set(all.flatMap((s) => Object.keys(s.labels)))].sort() });
          return;
        }
        default: {
          const label = /^\/api\/v1\/label\/([^/]+)\/values$/.exec(url.pathname);
          if (label) {
            send(res, 200, { status: 'success', data: [...new Set(all.map((s) => s.labels[decodeURIComponent(label[1]!)]).filter((v): v is string => v !== undefined))].sort() });
            return;
          }
          send(res, 404, { status: 'error', errorType: 'not_found', error: `${url.pathname} is not offered by Azure Monitor managed Prometheus` });
        }
      }
    } catch (error) {
      if (error instanceof QueryError) send(res, 400, { status: 'error', errorType: 'bad_data', error: error.message });
      else throw error;
    }
  };
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    void handle(req, res).catch((e: unknown) => send(res, 500, { status: 'error', errorType: 'internal', error: String(e) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const tokenFile = join(opts.dir, 'managed-prometheus-token');
  const caFile = join(opts.dir, 'managed-prometheus-ca.crt');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  writeFileSync(caFile, cert.caPem);
  const endpoint = `https://127.0.0.1:${port}`;
  opts.log?.(`azure monitor managed prometheus: query endpoint ${endpoint}`);
  return {
    endpoint, tokenFile, caFile, cluster: opts.cluster,
    stop: () => new Promise<void>((resolve) => {
      running = false;
      clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Managed Prometheus as a simulator component (istio-aks): it offers the query endpoint to clients. */
export function managedPrometheusComponent(opts: { cluster: string }): SimComponent {
  return {
    name: 'azure-monitor-managed-prometheus',
    async start(ctx) {
      const mp = await startManagedPrometheus({ store: ctx.store, intervalMs: ctx.timings.managedPrometheusIntervalMs, dir: ctx.dir, cluster: opts.cluster, network: ctx.network, log: (l) => ctx.log(l) });
      return { offers: { managedPrometheus: { endpoint: mp.endpoint, tokenFile: mp.tokenFile, caFile: mp.caFile, cluster: mp.cluster } }, stop: () => mp.stop() };
    },
  };
}
