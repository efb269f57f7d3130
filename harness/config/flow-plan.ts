/**
 * How `--namespaces N` spreads the copies of the flow over Playwright workers. A copy's flow mostly waits on the
 * cluster, and a worker is a Node process of about 200 MB, so N > 1 copies run as concurrent flows, each in its own
 * namespace, in as few workers as serve them: one per 25 copies, at most one per core, or `MESH_CONFORMANCE_WORKERS`
 * (fixtures/flows.ts; the summary and the ConformanceReport list every check of every copy). Measured on 2 cores
 * (BENCHMARKS.md): 20 copies in one worker took 1.09x the wall time of one copy and 498 MB, in two workers 1.21x and
 * 698 MB, in a worker each (Playwright's own model) 1.31x and 5.2 GB.
 */
import { availableParallelism } from 'node:os';

/** Sets the number of workers for `--namespaces N` (default: one per 25 copies, at most one per core). */
export const workersEnv = 'MESH_CONFORMANCE_WORKERS';

/** Copies one worker runs as concurrent flows before another worker (if a core is free) takes the next ones. */
export const flowsPerWorker = 25;

/** The workers for `copies` copies: `MESH_CONFORMANCE_WORKERS` (a whole number from 1 to 50) or the default. */
export function flowWorkers(copies: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[workersEnv];
  if (raw === undefined || raw === '') return Math.max(1, Math.min(availableParallelism(), Math.ceil(copies / flowsPerWorker)));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new RangeError(`invalid ${workersEnv}="${raw}": set a whole number from 1 to 50, or unset it for one worker per ${flowsPerWorker} copies (at most one per core)`);
  return Math.min(n, copies);
}

/**
 * The copies each worker runs as concurrent flows, or undefined for one copy (the checks are then Playwright tests of
 * their own). Copies are dealt round-robin: worker w runs w, w + W, w + 2W, …
 */
export function flowBatches(copies: number, workers: number): number[][] | undefined {
  if (copies <= 1) return undefined;
  const w = Math.max(1, Math.min(workers, copies));
  return Array.from({ length: w }, (_, i) => Array.from({ length: Math.ceil((copies - i) / w) }, (_, j) => i + j * w));
}

/**
 * The checks a flows run selected (`run -- --grep …`), comma-separated, from the CLI to the runner: a flows test
 * runs every check of its copies in one test, so Playwright's filter cannot pick checks inside it; the CLI lists the
 * selection first (cli/list-checks.ts) and hands it over here instead of the filter.
 */
export const flowChecksEnv = 'MESH_CONFORMANCE_FLOW_CHECKS';

/** The selected checks' ids from `MESH_CONFORMANCE_FLOW_CHECKS`, or undefined for all of them. */
export function flowChecksSelected(env: NodeJS.ProcessEnv = process.env): Set<string> | undefined {
  const raw = env[flowChecksEnv];
  return raw ? new Set(raw.split(',')) : undefined;
}

const selectionFlags = new Set(['-g', '--grep', '-gv', '--grep-invert']);

/** Playwright's arguments without its test filters (`--grep`, `--grep-invert`, in both spellings). */
export function withoutTestFilters(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (selectionFlags.has(a)) i++;
    else if (![...selectionFlags].some((f) => a.startsWith(`${f}=`))) out.push(a);
  }
  return out;
}
