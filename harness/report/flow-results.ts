/**
 * What a flows test (several copies of the flow as concurrent flows in one worker, fixtures/flows.ts) tells the
 * reporters: the copies it runs (a static annotation) and one result per check of each copy (result annotations).
 * The summary and the ConformanceReport expand it into every check of every copy, as they list them for a worker per
 * copy; Playwright's own reports (JUnit, JSON, HTML, Allure) show the one test with a step per check and copy.
 */
import type { CheckDefinition } from '../checks/catalogue.ts';
import { orderedChecks } from '../checks/catalogue.ts';
import { flowChecksSelected } from '../config/flow-plan.ts';

/** Static annotation of a flows test: the copies it runs, comma-separated. */
export const flowCopiesAnnotation = 'flow-copies';
/** Result annotation of a flows test: one per check of each copy, its description a `FlowCheckResult` in JSON. */
export const flowCheckAnnotation = 'flow-check';

type Annotations = readonly { type: string; description?: string }[];

export interface FlowCheckResult {
  copy: number;
  namespace: string;
  check: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs?: number;
  /** First line of the failure. */
  message?: string;
  /** Why it was skipped. */
  reason?: string;
  /** Skipped because the profiles or the cluster lack the check's feature. */
  unsupported?: boolean;
  /** Prefix of the names of this check's attachments (its diagnostics) among the test's attachments. */
  attachments?: string;
}

/** The copies a flows test runs, or undefined for a check's own test. */
export function flowCopiesOf(annotations: Annotations): number[] | undefined {
  const copies = annotations.find((a) => a.type === flowCopiesAnnotation)?.description;
  return copies === undefined ? undefined : copies.split(',').map(Number);
}

/** A check of a copy, as the reporters list it. */
export interface FlowEntry extends FlowCheckResult {
  definition: CheckDefinition;
}

/**
 * Every check (of the selection, `MESH_CONFORMANCE_FLOW_CHECKS`) of every copy a flows test ran, in catalogue order and then by copy. A check without a result (the test
 * was interrupted, or its namespaces could not be created) is skipped, with the test's error as the reason.
 */
export function flowEntries(annotations: Annotations, resultAnnotations: Annotations, testError: string | undefined): FlowEntry[] {
  const copies = flowCopiesOf(annotations) ?? [];
  const results = resultAnnotations.filter((a) => a.type === flowCheckAnnotation && a.description).map((a) => JSON.parse(a.description!) as FlowCheckResult);
  const selected = flowChecksSelected();
  return orderedChecks().filter((d) => !selected || selected.has(d.id)).flatMap((definition) => copies.map((copy): FlowEntry => {
    const found = results.find((r) => r.copy === copy && r.check === definition.id);
    if (found) return { ...found, definition };
    const namespace = results.find((r) => r.copy === copy)?.namespace ?? `copy ${copy}`;
    return { copy, namespace, check: definition.id, status: 'skipped', reason: `not run: ${testError ?? 'the run ended before it'}`, definition };
  }));
}
