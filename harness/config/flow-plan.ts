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
