/**
 * The small JSONPath subset that CRD `additionalPrinterColumns` use (`.status.currentStatus`,
 * `.spec.ports[0].port`, `.metadata.labels.app`). Enough for printer columns; not a general evaluator.
 */

/** Evaluates a simple JSONPath against an object; undefined when any step is missing. */
export function evaluateJsonPath(obj: unknown, path: string): unknown {
  const expr = path.trim().replace(/^\{/, '').replace(/\}$/, '').replace(/^\$/, '');
  const steps: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(expr)) !== null) {
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else if (m[3] !== undefined) steps.push(m[3]);
  }
  let cur: unknown = obj;
  for (const step of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[step];
  }
  return cur;
}
