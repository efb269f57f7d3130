/**
 * The istio stats filter's metrics (istio.md §5.1) and the Envoy server gauges of one proxy, rendered in the
 * Prometheus text format as Envoy's `/stats/prometheus` (15090) writes them; the agent's merged endpoint (15020)
 * adds its own `istio_agent_*` lines. `istio_requests_total` is a counter and `istio_request_duration_milliseconds`
 * a histogram with the same labels, in the order of the stats filter's expectations (§5.1). The default bucket
 * boundaries are UNCONFIRMED in istio.md; these are the stats plugin's (README).
 */

/** istio_request_duration_milliseconds bucket boundaries (UNCONFIRMED, README). */
export const durationBuckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000] as const;

/** The label names of istio_requests_total, in the stats filter's order. */
export const requestLabelNames = [
  'reporter', 'source_workload', 'source_canonical_service', 'source_canonical_revision', 'source_workload_namespace', 'source_principal',
  'source_app', 'source_version', 'source_cluster', 'destination_workload', 'destination_workload_namespace', 'destination_principal',
  'destination_app', 'destination_version', 'destination_service', 'destination_canonical_service', 'destination_canonical_revision',
  'destination_service_name', 'destination_service_namespace', 'destination_cluster', 'request_protocol', 'response_code',
  'grpc_response_status', 'response_flags', 'connection_security_policy',
] as const;
export type RequestLabels = Record<(typeof requestLabelNames)[number], string>;

interface Series {
  labels: RequestLabels;
  count: number;
  sum: number;
  buckets: number[];
}

function renderLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

export class IstioStats {
  private readonly series = new Map<string, Series>();
  private readonly startedAt = Date.now();
  /** Connections reset before HTTP (STRICT plaintext, no listener yet). */
  downstreamCxRejected = 0;
  agentScrapes = 0;

  constructor(private readonly frozen = false) {}

  /** Counts one request (no-op while the stats are frozen by a hook). */
  record(labels: RequestLabels, durationMs: number): void {
    if (this.frozen) return;
    const key = JSON.stringify(requestLabelNames.map((n) => labels[n]));
    let s = this.series.get(key);
    if (!s) {
      s = { labels, count: 0, sum: 0, buckets: durationBuckets.map(() => 0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += durationMs;
    durationBuckets.forEach((bound, i) => {
      if (durationMs <= bound) s.buckets[i]!++;
    });
  }

  /** Envoy's own endpoint (15090): the istio_* stats, Envoy's server gauges. */
  renderEnvoy(): string {
    const lines: string[] = [];
    const all = [...this.series.values()];
    lines.push('# TYPE istio_requests_total counter');
    for (const s of all) lines.push(`istio_requests_total${renderLabels(s.labels)} ${s.count}`);
    lines.push('# TYPE istio_request_duration_milliseconds histogram');
    for (const s of all) {
      durationBuckets.forEach((bound, i) => lines.push(`istio_request_duration_milliseconds_bucket${renderLabels({ ...s.labels, le: String(bound) })} ${s.buckets[i]}`));
      lines.push(`istio_request_duration_milliseconds_bucket${renderLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`istio_request_duration_milliseconds_sum${renderLabels(s.labels)} ${Number(s.sum.toFixed(3))}`);
      lines.push(`istio_request_duration_milliseconds_count${renderLabels(s.labels)} ${s.count}`);
    }
    lines.push('# TYPE envoy_server_live gauge', 'envoy_server_live 1');
    lines.push('# TYPE envoy_server_state gauge', 'envoy_server_state 0');
    lines.push('# TYPE envoy_server_uptime gauge', `envoy_server_uptime ${Math.floor((Date.now() - this.startedAt) / 1000)}`);
    lines.push('# TYPE envoy_listener_downstream_cx_overflow counter', `envoy_listener_downstream_cx_overflow ${this.downstreamCxRejected}`);
    return `${lines.join('\n')}\n`;
  }

  /** The agent's merged endpoint (15020): Envoy's stats plus the agent's. */
  renderMerged(version: string): string {
    this.agentScrapes++;
    return `${this.renderEnvoy()}# TYPE istio_agent_scrapes_total counter\nistio_agent_scrapes_total ${this.agentScrapes}\n# TYPE istio_build gauge\nistio_build{component="proxy",tag="${version}"} 1\n`;
  }
}
