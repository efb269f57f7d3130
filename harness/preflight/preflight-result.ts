/** The areas pre-flight looks at, in the order it reports them. */
export const preflightAreas = ['api', 'control-plane', 'ingress', 'rbac'] as const;
export type PreflightArea = (typeof preflightAreas)[number];

/** One thing that stops a run: what is wrong (with the object and what was seen) and what to do about it. */
export interface PreflightProblem {
  area: PreflightArea;
  message: string;
  hint: string;
}

/** What pre-flight found: problems stop the run (exit 2); `passed` lines say what was verified. */
export interface PreflightReport {
  context: string;
  server: string;
  /** `v1.29.4` once /version answered. */
  serverVersion: string | undefined;
  passed: string[];
  problems: PreflightProblem[];
}

/**
 * The report as the CLI prints it: one header line naming the context and server, then one line per problem
 * with its hint (`problems` empty: one line listing what passed).
 */
export function formatPreflight(report: PreflightReport): string {
  const where = `context ${report.context}, server ${report.server}${report.serverVersion ? `, Kubernetes ${report.serverVersion}` : ''}`;
  if (!report.problems.length) return `pre-flight passed (${where}): ${report.passed.join('; ')}`;
  const n = report.problems.length;
  return [
    `pre-flight failed (${where}): ${n} problem${n === 1 ? '' : 's'}, nothing was written to the cluster`,
    ...report.problems.map((p) => `  - [${p.area}] ${p.message}. Hint: ${p.hint}`),
  ].join('\n');
}
