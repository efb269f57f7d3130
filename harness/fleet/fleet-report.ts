/**
 * The aggregate report of a fan-out over several clusters (`run --context A --context B …`): per cluster the mesh
 * and its version, the verdict, the failing checks one line each, the duration, the mesh's support window where
 * known, and why a cluster could not be checked. Rendered as a terminal table, JSON (`fleet-report.json`) and one
 * self-contained HTML page (`fleet-report.html`). Pure functions: the CLI (cli/fleet-command.ts) gathers the outcomes.
 */
import type { ConformanceReport } from '../report/conformance-report.ts';

/** How one cluster's run ended. */
export const fleetVerdicts = ['passed', 'failed', 'not checked', 'interrupted', 'not run'] as const;
export type FleetVerdict = (typeof fleetVerdicts)[number];

/** One cluster's row. */
export interface FleetCluster {
  context: string;
  /** The folder of its reports, relative to the fleet report (`<context>/`). */
  reportDir: string;
  target: string;
  verdict: FleetVerdict;
  exitCode: number | null;
  durationSeconds: number;
  mesh: string | null;
  meshVersion: string | null;
  /** The last day of support of the mesh offering, where its profile knows it. */
  supportEnds: string | null;
  /** `check: first line of the failure`, one per failed check. */
  failingChecks: string[];
  /** Why it could not be checked (or was not run): the run's own one-line message. */
  reason: string | null;
  runId: string | null;
}

export interface FleetReport {
  apiVersion: 'mesh-conformance.io/v1alpha1';
  kind: 'FleetReport';
  date: string;
  /** 0 all passed; 1 a cluster failed a check; 2 none failed but a cluster could not be checked; 130 interrupted. */
  exitCode: number;
  summary: Record<FleetVerdict, number> & { clusters: number };
  clusters: FleetCluster[];
}

/** The verdict of a run's exit code (cli/exit-codes.ts), with 3 (the cluster stayed unavailable) as not checked. */
export function verdictOf(exitCode: number | null, interrupted: boolean): FleetVerdict {
  if (exitCode === 130 || (interrupted && exitCode !== 0 && exitCode !== 1)) return 'interrupted';
  if (exitCode === 0) return 'passed';
  if (exitCode === 1) return 'failed';
  return 'not checked';
}

/** The failing checks of a cluster's ConformanceReport, one line each. */
export function failingChecks(report: ConformanceReport | undefined): string[] {
  if (!report) return [];
  return [...report.core.tests, ...report.extended.tests].filter((t) => t.result === 'failed').map((t) => `${t.name}: ${t.message ?? 'failed'}`);
}

/**
 * The fleet's exit code: interrupted wins (130); then a failed check anywhere (1: a definite verdict no retry
 * changes); then a cluster that could not be checked (2); else 0.
 */
export function fleetExitCode(clusters: FleetCluster[], interrupted: boolean): number {
  if (interrupted) return 130;
  if (clusters.some((c) => c.verdict === 'failed')) return 1;
  if (clusters.some((c) => c.verdict !== 'passed')) return 2;
  return 0;
}

export function buildFleetReport(clusters: FleetCluster[], interrupted: boolean, date = new Date()): FleetReport {
  const summary = { clusters: clusters.length, ...Object.fromEntries(fleetVerdicts.map((v) => [v, clusters.filter((c) => c.verdict === v).length])) } as FleetReport['summary'];
  return { apiVersion: 'mesh-conformance.io/v1alpha1', kind: 'FleetReport', date: date.toISOString(), exitCode: fleetExitCode(clusters, interrupted), summary, clusters };
}

const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : v);

/** One line of the verdicts: `3 clusters: 1 passed, 1 failed, 1 not checked`. */
export function summaryLine(report: FleetReport): string {
  const parts = fleetVerdicts.filter((v) => report.summary[v]).map((v) => `${report.summary[v]} ${v}`);
  return `${report.summary.clusters} cluster${report.summary.clusters === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** The terminal table: one row per cluster, its failing checks (or the reason it was not checked) indented below. */
export function renderFleetTable(report: FleetReport): string {
  const header = ['CLUSTER', 'MESH', 'VERSION', 'VERDICT', 'DURATION', 'SUPPORT ENDS'];
  const rows = report.clusters.map((c) => [c.context, dash(c.mesh), dash(c.meshVersion), c.verdict, `${c.durationSeconds.toFixed(1)}s`, dash(c.supportEnds)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [line(header)];
  report.clusters.forEach((c, i) => {
    out.push(line(rows[i] ?? []));
    for (const f of c.failingChecks) out.push(`    ✖ ${f}`);
    if (c.reason && c.verdict !== 'passed') out.push(`    reason: ${c.reason}`);
  });
  out.push(`mesh-conformance fleet: ${summaryLine(report)}; exit ${report.exitCode}`);
  return `${out.join('\n')}\n`;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** One self-contained HTML page (no scripts, no outside requests), with links into each cluster's reports. */
export function renderFleetHtml(report: FleetReport): string {
  const colour: Record<FleetVerdict, string> = { passed: '#1a7f37', failed: '#cf222e', 'not checked': '#9a6700', interrupted: '#6e7781', 'not run': '#6e7781' };
  const rows = report.clusters.map((c) => {
    const details = [
      ...c.failingChecks.map((f) => `<li>✖ ${esc(f)}</li>`),
      ...(c.reason && c.verdict !== 'passed' ? [`<li>reason: ${esc(c.reason)}</li>`] : []),
    ];
    const links = ['summary.txt', 'conformance-report.yaml', 'html/index.html', 'run.log'].map((f) => `<a href="${esc(`${c.reportDir}/${f}`)}">${esc(f)}</a>`).join(' · ');
    return `<tr><td>${esc(c.context)}</td><td>${esc(dash(c.mesh))}</td><td>${esc(dash(c.meshVersion))}</td>`
      + `<td style="color:${colour[c.verdict]};font-weight:600">${esc(c.verdict)}</td><td>${c.durationSeconds.toFixed(1)}s</td><td>${esc(dash(c.supportEnds))}</td>`
      + `<td>${details.length ? `<ul>${details.join('')}</ul>` : ''}<small>${links}</small></td></tr>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mesh-conformance fleet report</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.4rem .6rem;text-align:left;vertical-align:top}th{background:#f6f8fa}ul{margin:0 0 .3rem 1rem;padding:0}</style>
</head><body>
<h1>mesh-conformance fleet report</h1>
<p>${esc(report.date)}: ${esc(summaryLine(report))}; exit code ${report.exitCode}</p>
<table><thead><tr><th>cluster</th><th>mesh</th><th>version</th><th>verdict</th><th>duration</th><th>support ends</th><th>failing checks, reason, reports</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/** A context name as a folder name: letters, digits, `.`, `_`, `-` kept, the rest `_`; unique within `taken`. */
export function contextFolder(context: string, taken: Set<string>): string {
  const base = context.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';
  let name = base;
  for (let i = 2; taken.has(name); i += 1) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

/** Whether a context name matches a glob (`*` any run of characters, `?` one). */
export function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('').map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
  return re.test(name);
}
