/**
 * The Prometheus text exposition format (0.0.4) as Envoy's `/stats/prometheus` writes it, parsed into samples, and
 * the scrape of one annotated pod, shared by the built-in Prometheus stand-in and the Azure Monitor agent emulation.
 */
import http from 'node:http';
import type { KubeObject, SimNetwork } from '../cluster/types.ts';
import { field } from './kinds.ts';

export interface TextSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses text-format samples; comments and malformed lines are skipped. */
export function parsePrometheusText(text: string): TextSample[] {
  const samples: TextSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') continue;
    samples.push({ name: m[1]!, labels: parseLabels(m[3] ?? ''), value });
  }
  return samples;
}

function parseLabels(body: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;
  for (const m of body.matchAll(re)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

/** Where an annotated pod is scraped (`prometheus.io/scrape|port|path`), or undefined when it does not ask to be. */
export function scrapeTargetOf(pod: KubeObject): { host: string; port: number; path: string } | undefined {
  const annotations = pod.metadata.annotations ?? {};
  if (annotations['prometheus.io/scrape'] !== 'true') return undefined;
  const podIP = field<string>(field(pod, 'status'), 'podIP');
  if (!podIP || field<string>(field(pod, 'status'), 'phase') !== 'Running') return undefined;
  const containers = field<{ ports?: { containerPort: number }[] }[]>(field(pod, 'spec'), 'containers') ?? [];
  const port = Number(annotations['prometheus.io/port'] ?? containers.flatMap((c) => c.ports ?? [])[0]?.containerPort ?? 80);
  return { host: podIP, port, path: annotations['prometheus.io/path'] || '/metrics' };
}

/** GETs a metrics endpoint; rejects with Prometheus-like messages (`connection refused`, `server returned HTTP status 404`). */
export function scrapeText(target: { host: string; port: number; path: string }, timeoutMs: number, network?: Pick<SimNetwork, 'dialAddressOf'>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: network ? network.dialAddressOf(target.host) : target.host, port: target.port, path: target.path, agent: false, timeout: timeoutMs, headers: { accept: 'text/plain;version=0.0.4' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if ((res.statusCode ?? 0) !== 200) reject(new Error(`server returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ECONNREFUSED' ? new Error(`Get "http://${target.host}:${target.port}${target.path}": dial tcp ${target.host}:${target.port}: connect: connection refused`) : err);
    });
  });
}
