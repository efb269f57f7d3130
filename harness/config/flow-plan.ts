/**
 * How `--namespaces N` spreads the copies of the flow over Playwright workers. A worker is a Node process of about
 * 200 MB, so there are at most as many workers as cores (or `MESH_CONFORMANCE_WORKERS`):
 * - N at most the limit: one worker per copy, each copy a serial group of one test per check (Playwright's own model);
 * - N above it: each of the limit's workers runs its share of the copies as concurrent flows in one test
 *   (fixtures/flows.ts), and the reporters list every check of every copy from that test's results.
 */
import { availableParallelism } from 'node:os';

/** Overrides the number of workers (default: the machine's cores). */
export const workersEnv = 'MESH_CONFORMANCE_WORKERS';

/** The most workers a run starts: `MESH_CONFORMANCE_WORKERS` (a whole number from 1 to 50) or the cores. */
export function workerLimit(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[workersEnv];
  if (raw === undefined || raw === '') return Math.max(1, availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new RangeError(`invalid ${workersEnv}="${raw}": set a whole number from 1 to 50, or unset it to use one worker per core`);
  return n;
}

/**
 * The copies each worker runs as concurrent flows, or undefined when every copy gets a worker of its own (N at most
 * the limit). Copies are dealt round-robin: worker w runs w, w + W, w + 2W, …
 */
export function flowBatches(copies: number, limit: number): number[][] | undefined {
  if (copies <= limit) return undefined;
  return Array.from({ length: limit }, (_, w) => Array.from({ length: Math.ceil((copies - w) / limit) }, (_, j) => w + j * limit));
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
