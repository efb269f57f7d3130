/**
 * The readiness report of `mesh-conformance check`, modelled on `linkerd check`: categories of lines, each ok, warn
 * or fail, with a hint when not ok. Warnings do not fail the check; failures do.
 */

/** A line's verdict. */
export const readinessStatuses = ['ok', 'warn', 'fail'] as const;
export type ReadinessStatus = (typeof readinessStatuses)[number];

/** One line of the report. `hint` says what to do; it is set whenever the status is not ok. */
export interface ReadinessLine {
  /** Stable id for scripts: `<category>/<subject>`, e.g. `control-plane/<deployment>`. */
  id: string;
  status: ReadinessStatus;
  message: string;
  hint?: string | undefined;
  /**
   * The line failed because the cluster stayed unavailable (429, 5xx, connection resets through every retry within
   * the budget), not because of anything the user must change: pre-flight then exits 3, not 2.
   */
  unavailable?: true;
}

/** A category's lines, printed under one heading. */
export interface CategoryResult {
  id: string;
  title: string;
  lines: ReadinessLine[];
}

/** The whole report; `status` is the worst line's (fail > warn > ok). */
export interface ReadinessReport {
  kind: 'MeshConformanceReadiness';
  version: 1;
  status: ReadinessStatus;
  /** True when no line failed (warnings allowed): the exit code is 0. */
  ready: boolean;
  /** False when the check could not run (API unreachable, credentials refused): exit code 2. */
  ran: boolean;
  target: string;
  context: string;
  server: string;
  mesh: { profile: string; title: string; namespace: string; description: string };
  ingress: string;
  summary: Record<ReadinessStatus, number>;
  categories: CategoryResult[];
}

/** `ok` line. */
export const ok = (id: string, message: string): ReadinessLine => ({ id, status: 'ok', message });
/** `warn` line; the hint is required. */
export const warn = (id: string, message: string, hint: string): ReadinessLine => ({ id, status: 'warn', message, hint });
/** `fail` line; the hint is required. */
export const fail = (id: string, message: string, hint: string): ReadinessLine => ({ id, status: 'fail', message, hint });

/** The worst status among lines (ok when there are none). */
export function worst(lines: readonly ReadinessLine[]): ReadinessStatus {
  return lines.some((l) => l.status === 'fail') ? 'fail' : lines.some((l) => l.status === 'warn') ? 'warn' : 'ok';
}

/** Counts lines per status. */
export function countStatuses(categories: readonly CategoryResult[]): Record<ReadinessStatus, number> {
  const counts: Record<ReadinessStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const c of categories) for (const l of c.lines) counts[l.status] += 1;
  return counts;
}

const marks: Record<ReadinessStatus, string> = { ok: '✔', warn: '‼', fail: '✖' };

/** The report as a person reads it: a header, the categories with one line each and the hints, a verdict. */
export function formatReadiness(r: ReadinessReport): string {
  const out: string[] = [
    `mesh-conformance check: context ${r.context}, server ${r.server} (target ${r.target}, mesh ${r.mesh.description}, ingress ${r.ingress})`,
  ];
  for (const c of r.categories) {
    out.push('', c.title, '-'.repeat(c.title.length));
    for (const l of c.lines) {
      out.push(`${marks[l.status]} ${l.message}`);
      if (l.hint && l.status !== 'ok') out.push(`    hint: ${l.hint}`);
    }
  }
  const { ok: n, warn: w, fail: f } = r.summary;
  const failed = r.categories.flatMap((c) => c.lines).filter((l) => l.status === 'fail');
  const verdict = failed.length && failed.every((l) => l.unavailable) ? 'the cluster stayed unavailable, retry later (exit 3)'
    : !r.ran ? 'the check could not run (exit 2)'
    : f ? `not ready: ${f} failure${f === 1 ? '' : 's'} (exit 1)`
      : w ? 'ready, with warnings (exit 0)' : 'ready (exit 0)';
  out.push('', `Status: ${n} ok, ${w} warning${w === 1 ? '' : 's'}, ${f} failure${f === 1 ? '' : 's'}: ${verdict}`);
  return `${out.join('\n')}\n`;
}
