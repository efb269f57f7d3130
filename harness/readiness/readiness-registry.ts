/**
 * Readiness as data, in the shape of linkerd2's `pkg/healthcheck`: a checker has an id, a description, a hint and a
 * `fatal` flag; checkers are grouped in categories. `mesh-conformance check` runs every category; pre-flight runs
 * only the fatal checkers, before a run writes anything. The core contributes the API, metrics, sidecars, leftovers
 * and permissions categories (core-categories.ts); a mesh profile and an ingress profile contribute their own.
 */
import type { MetricsConfig } from '../config/resolve-config.ts';
import type { Target } from '../config/targets.ts';
import type { IngressProfile } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { MeshProfile } from '../mesh/mesh-profile.ts';
import { errorText } from '../text.ts';
import { KubeApiError, isRetryable } from '../k8s/api-error.ts';
import type { CategoryResult, ReadinessLine } from './readiness-result.ts';
import { fail } from './readiness-result.ts';

/** What every checker gets: the cluster, the profiles of the target, where metrics come from, the per-call budget. */
export interface ReadinessContext {
  client: KubeClient;
  target: Target;
  mesh: MeshProfile;
  /** Undefined with the ingress profile `none`. */
  ingress: IngressProfile | undefined;
  metrics: MetricsConfig;
  /** Budget of each API call and probe (timeouts.apply). */
  budgetMs: number;
  /** `v1.29.4`, once the API category has read it. */
  serverVersion: string;
}

/** One thing to check; it reports one or more lines (one per deployment, CRD, namespace…). */
export interface Checker {
  /** Prefix of its lines' ids: `control-plane/deployments`. */
  id: string;
  /** What it checks, in words (docs, and the line when it cannot run). */
  description: string;
  /** A fail line stops a run in pre-flight (the run could not mean anything); otherwise `check` reports it only. */
  fatal: boolean;
  check(ctx: ReadinessContext): Promise<ReadinessLine[]>;
}

/** A group of checkers under one heading. */
export interface ReadinessCategory {
  id: string;
  title: string;
  checkers: Checker[];
}

/** A checker that could not run becomes one fail line saying what could not be checked and why. */
async function runChecker(checker: Checker, ctx: ReadinessContext): Promise<ReadinessLine[]> {
  try {
    return await checker.check(ctx);
  } catch (err) {
    const msg = errorText(err);
    const hint = /→ 403/.test(msg) ? 'the user may not read it: ask a cluster admin for read access (docs/preflight.md)' : 'retry; if it persists, check the API server';
    const line = fail(`${checker.id}/error`, `could not check ${checker.description}: ${msg}`, hint);
    // Throttled, failing or resetting through every retry: the cluster is unavailable, the input is not wrong.
    return [err instanceof KubeApiError && isRetryable(err) && err.reason !== 'Credentials' ? { ...line, unavailable: true } : line];
  }
}

/**
 * Runs categories (in parallel; a category's checkers in order) and returns their lines. `fatalOnly` runs just the
 * fatal checkers, and leaves out categories that have none: pre-flight.
 */
export async function runCategories(categories: readonly ReadinessCategory[], ctx: ReadinessContext, opts: { fatalOnly?: boolean } = {}): Promise<CategoryResult[]> {
  const chosen = categories
    .map((c) => ({ ...c, checkers: c.checkers.filter((k) => !opts.fatalOnly || k.fatal) }))
    .filter((c) => c.checkers.length);
  const results = await Promise.all(chosen.map(async (c) => {
    const lines: ReadinessLine[] = [];
    for (const k of c.checkers) lines.push(...await runChecker(k, ctx));
    return { id: c.id, title: c.title, lines };
  }));
  // A category whose checkers had nothing to say here (another category covers it) is left out.
  return results.filter((c) => c.lines.length);
}
