/**
 * The Kusto the Log Analytics emulation understands: exactly the documented OSM query shape (osm.md §6d),
 *
 *   InsightsMetrics | where Name contains "envoy" | extend t=parse_json(Tags) | where t.namespace == "<ns>"
 *
 * generalised only as the docs themselves vary it: any substring after `contains`, and one or more
 * `| where t.<tag> == "<value>"` clauses (the older doc filters on `t.app`). Anything else is refused, with a message
 * that shows the accepted shape, rather than answered wrongly.
 */

export interface InsightsQuery {
  /** `where Name contains "<nameContains>"` (case-insensitive, as Kusto's `contains`). */
  nameContains: string;
  /** `where t.<key> == "<value>"` clauses, all of which must hold. */
  tagEquals: { key: string; value: string }[];
}

export const acceptedQueryShape = 'InsightsMetrics | where Name contains "envoy" | extend t=parse_json(Tags) | where t.namespace == "<namespace>"';

const str = String.raw`(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')`;

/** Parses the accepted shape; returns an error message for anything else. */
export function parseInsightsQuery(text: string): InsightsQuery | { error: string } {
  const parts = text.split('|').map((p) => p.trim());
  const refuse = (why: string): { error: string } => ({ error: `${why}. The simulated Log Analytics workspace answers only queries of the form: ${acceptedQueryShape}` });
  if (parts[0] !== 'InsightsMetrics') return refuse(`unsupported table or expression ${JSON.stringify(parts[0] ?? '')}`);
  const name = new RegExp(`^where\\s+Name\\s+contains\\s+${str}$`).exec(parts[1] ?? '');
  if (!name) return refuse(`expected 'where Name contains "..."' as the first operator, got ${JSON.stringify(parts[1] ?? '')}`);
  if (!/^extend\s+t\s*=\s*parse_json\(\s*Tags\s*\)$/.test(parts[2] ?? '')) return refuse(`expected 'extend t=parse_json(Tags)' as the second operator, got ${JSON.stringify(parts[2] ?? '')}`);
  const tagEquals: InsightsQuery['tagEquals'] = [];
  for (const part of parts.slice(3)) {
    const m = new RegExp(`^where\\s+t\\.([A-Za-z_][A-Za-z0-9_]*)\\s*==\\s*${str}$`).exec(part);
    if (!m) return refuse(`unsupported operator ${JSON.stringify(part)}`);
    tagEquals.push({ key: m[1]!, value: unescape(m[2] ?? m[3]!) });
  }
  if (!tagEquals.length) return refuse('missing the tag filter (where t.namespace == "...")');
  return { nameContains: unescape(name[1] ?? name[2]!), tagEquals };
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/**
 * The window of a Log Analytics `timespan` (ISO 8601: `PT30M`, `P1D`, `<start>/<end>`, `<start>/<duration>`),
 * or undefined when absent or unreadable (then every row is in).
 */
export function parseTimespan(timespan: string | undefined, now: number): { from: number; to: number } | undefined {
  if (!timespan) return undefined;
  const [a, b] = timespan.split('/');
  if (b === undefined) {
    const d = durationMs(a!);
    return d === undefined ? undefined : { from: now - d, to: now };
  }
  const start = Date.parse(a!);
  if (Number.isNaN(start)) {
    const d = durationMs(a!);
    const end = Date.parse(b);
    return d === undefined || Number.isNaN(end) ? undefined : { from: end - d, to: end };
  }
  const end = Date.parse(b);
  if (!Number.isNaN(end)) return { from: start, to: end };
  const d = durationMs(b);
  return d === undefined ? undefined : { from: start, to: start + d };
}

function durationMs(iso: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m || iso === 'P' || iso === 'PT') return undefined;
  const [, d, h, min, s] = m.map((x) => Number(x ?? 0));
  return (((d! * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
}
