/**
 * Label and field selectors as the API server accepts them in `?labelSelector=` and `?fieldSelector=`.
 * Parsed once per request or watch, then applied to every object.
 */
import { ApiError } from './types.ts';
import type { KubeObject } from './types.ts';

/** A compiled selector: true when the object matches. */
export type ObjectMatcher = (obj: KubeObject) => boolean;

type LabelRequirement =
  | { op: '=' | '!='; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | '!exists'; key: string };

const matchAll: ObjectMatcher = () => true;

/** Splits on commas that are not inside parentheses (`a in (x,y),b=c`). */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseLabelRequirement(term: string): LabelRequirement {
  const setMatch = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { op: setMatch[2] as 'in' | 'notin', key: setMatch[1]!, values };
  }
  const eqMatch = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(term);
  if (eqMatch) {
    return { op: eqMatch[2] === '!=' ? '!=' : '=', key: eqMatch[1]!, value: eqMatch[3]! };
  }
  const notExists = /^!\s*([^\s!=()]+)$/.exec(term);
  if (notExists) return { op: '!exists', key: notExists[1]! };
  if (/^[^\s!=()]+$/.test(term)) return { op: 'exists', key: term };
  throw new ApiError(400, 'BadRequest', `unable to parse requirement: invalid label selector term "${term}"`);
}

function labelRequirementMatches(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case '=': return has && value === req.value;
    case '!=': return !has || value !== req.value;
    case 'in': return has && req.values.includes(value!);
    case 'notin': return !has || !req.values.includes(value!);
    case 'exists': return has;
    case '!exists': return !has;
  }
}

/** Compiles a label selector string (`app=x,tier in (a,b),!legacy`); throws ApiError 400 when malformed. */
export function parseLabelSelector(selector: string | undefined): ObjectMatcher {
  if (!selector || selector.trim() === '') return matchAll;
  const reqs = splitTopLevel(selector).map(parseLabelRequirement);
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => labelRequirementMatches(r, labels));
  };
}

/** Reads a dotted field path (`status.phase`, `involvedObject.name`) as the string a field selector compares. */
export function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

/**
 * Compiles a field selector (`metadata.name=x,status.phase!=Running`). Any dotted path is accepted,
 * which is more lenient than kube-apiserver (it allows a fixed set per kind) but answers the same.
 */
export function parseFieldSelector(selector: string | undefined): ObjectMatcher {
  if (!selector || selector.trim() === '') return matchAll;
  const reqs = selector.split(',').map((term) => term.trim()).filter((t) => t !== '').map((term) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid field selector: '${term}'`);
    return { path: m[1]!.trim(), negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return (obj) => reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.negate);
}

/** Combines the label and field selectors of one list or watch request. */
export function parseSelectors(labelSelector: string | undefined, fieldSelector: string | undefined): ObjectMatcher {
  const byLabel = parseLabelSelector(labelSelector);
  const byField = parseFieldSelector(fieldSelector);
  if (byLabel === matchAll) return byField;
  if (byField === matchAll) return byLabel;
  return (obj) => byLabel(obj) && byField(obj);
}
