/**
 * Lists, chainsaw-style, each expected label/annotation an object lacks or has with another value:
 * `- labels["example.io/mesh"]: expected "m1", got <missing>`. Empty means it matches.
 */
export function metadataMismatches(
  expected: { labels?: Record<string, string>; annotations?: Record<string, string> },
  actual: { labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined } | undefined,
): string[] {
  const out: string[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    for (const [key, want] of Object.entries(expected[field] ?? {})) {
      const got = actual?.[field]?.[key];
      if (got !== want) out.push(`- ${field}[${JSON.stringify(key)}]: expected ${JSON.stringify(want)}, got ${got === undefined ? '<missing>' : JSON.stringify(got)}`);
    }
  }
  return out;
}
