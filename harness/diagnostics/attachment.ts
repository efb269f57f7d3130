/** A diagnostics artifact ready for `testInfo.attach` (kept free of Playwright types: harness is a library). */
export interface Attachment {
  name: string;
  contentType: 'text/plain' | 'application/json' | 'application/yaml';
  body: string;
}

/**
 * Runs one collector and turns its failure into an attachment saying so: diagnostics must never hide the
 * original test failure behind an error of their own.
 */
export async function collectSafely(name: string, collect: () => Promise<Attachment[]>): Promise<Attachment[]> {
  try {
    return await collect();
  } catch (err) {
    return [{ name: `${name} (collection failed)`, contentType: 'text/plain', body: err instanceof Error ? err.message : String(err) }];
  }
}
