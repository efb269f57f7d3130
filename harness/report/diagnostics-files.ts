import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';

/** An attachment as a reporter sees it: in memory (`body`) or already a file (`path`). */
export interface ReportedAttachment {
  name: string;
  contentType: string;
  body?: Buffer | undefined;
  path?: string | undefined;
}

const extensions: Record<string, string> = { 'application/json': 'json', 'application/yaml': 'yaml', 'text/plain': 'txt', 'text/html': 'html' };

/** A file-system-safe form of an attachment name: `container logs: httpbin/envoy` → `container-logs-httpbin-envoy`. */
export function fileNameOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'attachment';
}

/**
 * Writes a failed check's in-memory attachments (events, pod status, logs, YAML, HTTP exchanges) as files under
 * `dir`, numbered in attachment order, and returns every file that holds one (written here, or the attachment's
 * own path). Allure runtime messages (`application/vnd.allure.*`) are left out. The directory is emptied first,
 * so it holds one run's diagnostics only.
 */
export function saveDiagnostics(dir: string, attachments: readonly ReportedAttachment[]): string[] {
  const wanted = attachments.filter((a) => !a.contentType.startsWith('application/vnd.allure'));
  rmSync(dir, { recursive: true, force: true });
  const files: string[] = [];
  wanted.forEach((a, i) => {
    if (a.path) {
      files.push(a.path);
      return;
    }
    if (!a.body) return;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${String(i + 1).padStart(2, '0')}-${fileNameOf(a.name)}.${extensions[a.contentType] ?? 'bin'}`);
    writeFileSync(file, a.body);
    files.push(file);
  });
  return files;
}

/** A path as the user should type it: relative to the working directory when it lies below it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
