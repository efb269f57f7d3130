import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root (where playwright.config.ts and simulator/ live), wherever the CLI is run from. */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** The simulator's entry point, spawned by path (never imported: the harness reaches it only via a kubeconfig). */
export const simulatorMain = join(packageRoot, 'simulator', 'src', 'main.ts');

/** Playwright's CLI script, resolved from node_modules (not npx, which does not forward signals). */
export function playwrightCli(): string {
  return createRequire(join(packageRoot, 'package.json')).resolve('@playwright/test/cli');
}
