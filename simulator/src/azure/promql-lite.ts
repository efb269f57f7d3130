/**
 * The PromQL the managed Prometheus emulation answers: instant vector selectors (`name{a="x",b=~"y"}`), `rate()` and
 * `increase()` over a range selector (`name{...}[5m]`), and the aggregations `sum`, `count`, `min`, `max`, `avg` with
 * an optional `by (labels)` / `without (labels)` clause before or after the parenthesis. Anything else is refused with
 * a message saying what is understood. Every selector must name a metric (managed Prometheus requires it).
 */
import { parseSelector } from '../node/prometheus-standin.ts';
import type { LabelMatcher } from '../node/prometheus-standin.ts';

export type Expr =
  | { kind: 'selector'; matchers: LabelMatcher[]; rangeMs?: number }
  | { kind: 'function'; name: 'rate' | 'increase'; arg: Expr & { kind: 'selector' } }
  | { kind: 'aggregate'; op: 'sum' | 'count' | 'min' | 'max' | 'avg'; by?: string[]; without?: string[]; arg: Expr };

export class QueryError extends Error {}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new QueryError(`bad duration "${text}"`);
  return Number(m[1]) * durationUnits[m[2]!]!;
}

function labelList(text: string): string[] {
  return text.split(',').map((l) => l.trim()).filter((l) => l !== '');
}

/** The index of the parenthesis closing the one at `open` (quoted strings skipped). */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  throw new QueryError('unbalanced parentheses');
}

/** Parses a query; throws QueryError. */
export function parseQuery(query: string): Expr {
  const q = query.trim();
  const head = /^(sum|count|min|max|avg)\s*(?:(by|without)\s*\(([^)]*)\)\s*)?\(/s.exec(q);
  if (head) {
    const open = head[0].length - 1;
    const close = matchingParen(q, open);
    const tail = /^\s*(?:(by|without)\s*\(([^)]*)\))?\s*$/.exec(q.slice(close + 1));
    if (!tail) throw new QueryError(`unsupported query ${JSON.stringify(query)}: nothing may follow an aggregation but by (...) or without (...)`);
    const clause = head[2] ?? tail[1];
    const labels = labelList(head[3] ?? tail[2] ?? '');
    return { kind: 'aggregate', op: head[1] as 'sum', ...(clause === 'by' ? { by: labels } : clause === 'without' ? { without: labels } : {}), arg: parseQuery(q.slice(open + 1, close)) };
  }
  const fn = /^(rate|increase)\s*\((.*)\)$/s.exec(q);
  if (fn) {
    const inner = parseQuery(fn[2]!);
    if (inner.kind !== 'selector' || inner.rangeMs === undefined) throw new QueryError(`${fn[1]}() needs a range vector such as name{...}[5m]`);
    return { kind: 'function', name: fn[1] as 'rate', arg: inner };
  }
  const range = /^(.*)\[([^\]]+)\]$/s.exec(q);
  const matchers = parseSelector(range ? range[1]! : q);
  if (!matchers) throw new QueryError(`unsupported query ${JSON.stringify(query)}: the emulation evaluates selectors, rate()/increase() over a range, and sum/count/min/max/avg [by|without (...)]`);
  if (!matchers.some((m) => m.name === '__name__' && m.op === '=' && m.value !== '')) {
    throw new QueryError('query must contain a metric name: Azure Monitor managed Prometheus requires every query to be scoped to a metric name');
  }
  return { kind: 'selector', matchers, ...(range ? { rangeMs: parseDuration(range[2]!) } : {}) };
}

export interface Sample {
  t: number;
  v: number;
}

export interface StoredSeries {
  labels: Record<string, string>;
  samples: Sample[];
}

export interface VectorElement {
  metric: Record<string, string>;
  value: number;
}

function matches(labels: Record<string, string>, matchers: LabelMatcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=': return v === m.value;
      case '!=': return v !== m.value;
      case '=~': return new RegExp(`^(?:${m.value})$`).test(v);
      case '!~': return !new RegExp(`^(?:${m.value})$`).test(v);
    }
  });
}

/** Evaluates at time `at` (ms) with a 5-minute lookback, as Prometheus does for instant selectors. */
export function evaluate(expr: Expr, series: StoredSeries[], at: number): VectorElement[] {
  switch (expr.kind) {
    case 'selector': {
      if (expr.rangeMs !== undefined) throw new QueryError('a range vector cannot be the result of an instant query; wrap it in rate() or increase()');
      return series.flatMap((s) => {
        if (!matches(s.labels, expr.matchers)) return [];
        const last = [...s.samples].reverse().find((x) => x.t <= at && at - x.t <= 300_000);
        return last ? [{ metric: s.labels, value: last.v }] : [];
      });
    }
    case 'function': {
      const window = expr.arg.rangeMs ?? 0;
      return series.flatMap((s) => {
        if (!matches(s.labels, expr.arg.matchers)) return [];
        const inRange = s.samples.filter((x) => x.t <= at && x.t > at - window);
        if (inRange.length < 2) return [];
        let delta = 0;
        for (let i = 1; i < inRange.length; i++) delta += inRange[i]!.v >= inRange[i - 1]!.v ? inRange[i]!.v - inRange[i - 1]!.v : inRange[i]!.v;
        const { __name__: _name, ...metric } = s.labels;
        return [{ metric, value: expr.name === 'rate' ? delta / (window / 1000) : delta }];
      });
    }
    case 'aggregate': {
      const groups = new Map<string, { metric: Record<string, string>; values: number[] }>();
      for (const e of evaluate(expr.arg, series, at)) {
        const metric: Record<string, string> = {};
        if (expr.by) for (const l of expr.by) if (e.metric[l] !== undefined) metric[l] = e.metric[l]!;
        if (expr.without) for (const [k, v] of Object.entries(e.metric)) if (k !== '__name__' && !expr.without.includes(k)) metric[k] = v;
        const key = JSON.stringify(Object.entries(metric).sort());
        const g = groups.get(key) ?? { metric, values: [] };
        g.values.push(e.value);
        groups.set(key, g);
      }
      return [...groups.values()].map((g) => {
        const sum = g.values.reduce((a, b) => a + b, 0);
        const value = expr.op === 'sum' ? sum : expr.op === 'count' ? g.values.length : expr.op === 'min' ? Math.min(...g.values) : expr.op === 'max' ? Math.max(...g.values) : sum / g.values.length;
        return { metric: g.metric, value };
      });
    }
  }
}
