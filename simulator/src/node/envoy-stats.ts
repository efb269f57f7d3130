/**
 * Envoy's statistics for the emulated sidecar, rendered the way Envoy's admin `/stats/prometheus` does
 * (text format 0.0.4, `envoy_` prefix, cluster name as the `envoy_cluster_name` label).
 */
import type net from 'node:net';

/** Counters and gauges of one upstream cluster (`<ns>/<svc>|<port>|local` for an inbound app port). */
export class ClusterStats {
  rqTotal = 0;
  rqActive = 0;
  cxTotal = 0;
  cxConnectFail = 0;
  rqRxReset = 0;
  readonly rqByCode = new Map<number, number>();
  private closedRx = 0;
  private closedTx = 0;
  private readonly liveSockets = new Set<net.Socket>();

  constructor(readonly name: string) {}

  /** A new upstream connection: counted now, its bytes counted until (and after) it closes. */
  trackConnection(socket: net.Socket): void {
    this.cxTotal++;
    this.liveSockets.add(socket);
    socket.once('close', () => {
      this.liveSockets.delete(socket);
      this.closedRx += socket.bytesRead;
      this.closedTx += socket.bytesWritten;
    });
  }

  countResponse(code: number): void {
    this.rqByCode.set(code, (this.rqByCode.get(code) ?? 0) + 1);
  }

  get cxActive(): number {
    return this.liveSockets.size;
  }

  get rxBytes(): number {
    let total = this.closedRx;
    for (const s of this.liveSockets) total += s.bytesRead;
    return total;
  }

  get txBytes(): number {
    let total = this.closedTx;
    for (const s of this.liveSockets) total += s.bytesWritten;
    return total;
  }
}

type Sample = { labels: Record<string, string>; value: number };

/** All stats of one sidecar. */
export class EnvoyStats {
  private readonly clusters = new Map<string, ClusterStats>();
  private readonly startedAt: number;
  downstreamCxTotal = 0;
  rbacDenied = 0;

  constructor(
    private readonly serviceCluster: string,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  cluster(name: string): ClusterStats {
    let stats = this.clusters.get(name);
    if (!stats) {
      stats = new ClusterStats(name);
      this.clusters.set(name, stats);
    }
    return stats;
  }

  /** Prometheus text exposition format 0.0.4, as Envoy's `/stats/prometheus` serves it. */
  renderPrometheus(): string {
    const counters = new Map<string, Sample[]>();
    const gauges = new Map<string, Sample[]>();
    const add = (into: Map<string, Sample[]>, name: string, labels: Record<string, string>, value: number): void => {
      const list = into.get(name) ?? [];
      list.push({ labels, value });
      into.set(name, list);
    };
    for (const c of this.clusters.values()) {
      const l = { envoy_cluster_name: c.name };
      add(counters, 'envoy_cluster_upstream_cx_total', l, c.cxTotal);
      add(counters, 'envoy_cluster_upstream_cx_connect_fail', l, c.cxConnectFail);
      add(counters, 'envoy_cluster_upstream_cx_connect_timeout', l, 0);
      add(counters, 'envoy_cluster_upstream_cx_destroy_local_with_active_rq', l, 0);
      add(counters, 'envoy_cluster_upstream_cx_destroy_remote_with_active_rq', l, 0);
      add(counters, 'envoy_cluster_upstream_cx_rx_bytes_total', l, c.rxBytes);
      add(counters, 'envoy_cluster_upstream_cx_tx_bytes_total', l, c.txBytes);
      add(counters, 'envoy_cluster_upstream_rq_total', l, c.rqTotal);
      add(counters, 'envoy_cluster_upstream_rq_timeout', l, 0);
      add(counters, 'envoy_cluster_upstream_rq_rx_reset', l, c.rqRxReset);
      add(counters, 'envoy_cluster_upstream_rq_tx_reset', l, 0);
      add(counters, 'envoy_cluster_upstream_rq_pending_overflow', l, 0);
      add(counters, 'envoy_cluster_upstream_rq_pending_failure_eject', l, 0);
      add(counters, 'envoy_cluster_upstream_rq_retry', l, 0);
      const byClass = new Map<string, number>();
      for (const [code, count] of [...c.rqByCode].sort(([a], [b]) => a - b)) {
        add(counters, 'envoy_cluster_upstream_rq', { envoy_response_code: String(code), ...l }, count);
        const cls = String(Math.floor(code / 100));
        byClass.set(cls, (byClass.get(cls) ?? 0) + count);
      }
      for (const [cls, count] of [...byClass].sort()) add(counters, 'envoy_cluster_upstream_rq_xx', { envoy_response_code_class: cls, ...l }, count);
      add(gauges, 'envoy_cluster_upstream_cx_active', l, c.cxActive);
      add(gauges, 'envoy_cluster_upstream_rq_active', l, c.rqActive);
      add(gauges, 'envoy_cluster_membership_healthy', l, 1);
      add(gauges, 'envoy_cluster_membership_total', l, 1);
    }
    add(counters, 'envoy_http_downstream_cx_total', { envoy_http_conn_manager_prefix: 'inbound' }, this.downstreamCxTotal);
    add(counters, 'envoy_http_rbac_denied', { envoy_http_conn_manager_prefix: 'inbound' }, this.rbacDenied);
    add(gauges, 'envoy_server_live', {}, 1);
    add(gauges, 'envoy_server_state', {}, 0);
    add(gauges, 'envoy_server_uptime', {}, Math.floor((this.now() - this.startedAt) / 1000));
    add(gauges, 'envoy_server_concurrency', {}, 2);

    const lines: string[] = [];
    const emit = (type: 'counter' | 'gauge', metrics: Map<string, Sample[]>): void => {
      for (const [name, samples] of [...metrics].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(`# TYPE ${name} ${type}`);
        for (const s of samples) lines.push(`${name}${renderLabels(s.labels)} ${s.value}`);
      }
    };
    emit('counter', counters);
    emit('gauge', gauges);
    return `${lines.join('\n')}\n`;
  }

  /** Envoy's plain `/stats` output (`cluster.<name>.upstream_rq_total: N`). */
  renderPlain(): string {
    const lines: string[] = [];
    for (const c of this.clusters.values()) {
      lines.push(`cluster.${c.name}.upstream_cx_active: ${c.cxActive}`);
      lines.push(`cluster.${c.name}.upstream_cx_total: ${c.cxTotal}`);
      lines.push(`cluster.${c.name}.upstream_rq_total: ${c.rqTotal}`);
      for (const [code, count] of c.rqByCode) lines.push(`cluster.${c.name}.upstream_rq_${code}: ${count}`);
    }
    lines.push('server.live: 1', `server.service_cluster: ${this.serviceCluster}`);
    return `${lines.join('\n')}\n`;
  }

  /** Envoy's `/clusters` text, minimal: one host per cluster with its counters. */
  renderClusters(hostOf: (cluster: string) => string): string {
    const lines: string[] = [];
    for (const c of this.clusters.values()) {
      const host = hostOf(c.name);
      lines.push(`${c.name}::default_priority::max_connections::1024`);
      lines.push(`${c.name}::${host}::cx_active::${c.cxActive}`);
      lines.push(`${c.name}::${host}::cx_connect_fail::${c.cxConnectFail}`);
      lines.push(`${c.name}::${host}::rq_total::${c.rqTotal}`);
      lines.push(`${c.name}::${host}::health_flags::healthy`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function renderLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (!entries.length) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
