import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from './exit-codes.ts';

/**
 * Makes sure reports can be written before anything starts (a run that cannot write its report is useless, and
 * would fail late with a stack trace): creates the directory and writes and removes a probe file. Bad input if not.
 */
export function ensureWritableReportDir(dir: string): void {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOTDIR' ? 'a part of the path is a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code ?? (err instanceof Error ? err.message : String(err));
    throw new BadInputError(`cannot write reports to ${dir} (${why}): pass --report-dir DIR, or set MESH_CONFORMANCE_REPORT_DIR, to a directory you can write`);
  }
}
