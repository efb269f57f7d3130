import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that cannot hang: Node's recursive mkdir loops forever below /proc (`--report-dir /proc/x`), so each
 * missing level is created on its own, top down. Throws the first level's error.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let p = dir;
  while (!existsSync(p)) {
    missing.unshift(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  if (existsSync(p) && !statSync(p).isDirectory()) throw Object.assign(new Error(`${p} is a file`), { code: 'ENOTDIR' });
  for (const m of missing) mkdirSync(m);
}
