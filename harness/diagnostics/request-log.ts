import { existsSync, readFileSync } from 'node:fs';
import type { Attachment } from './attachment.ts';

/** Lines of the request log kept in the attachment (a run makes a few hundred requests; watches are one each). */
const maxLines = 2_000;

/**
 * The simulated cluster's API request log (JSONL: time, verb, path, status, created object), local target only:
 * what the harness asked of the API server and what it answered, retries and injected faults included.
 * The path comes from the configuration (`simRequestLog`); the harness never reaches into the simulator.
 */
export function simulatorRequestLogAttachment(file: string | undefined): Attachment[] {
  if (!file) return [];
  if (!existsSync(file)) return [{ name: 'simulator request log', contentType: 'text/plain', body: `<no request log at ${file}>` }];
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const kept = lines.slice(-maxLines);
  const header = kept.length < lines.length ? `# last ${kept.length} of ${lines.length} requests (${file})\n` : '';
  return [{ name: 'simulator request log', contentType: 'text/plain', body: `${header}${kept.join('\n')}\n` }];
}
