/**
 * The JSONPath subset that CRD `additionalPrinterColumns` use: fields (`.status.currentStatus`), indexes
 * (`.spec.ports[0].port`), quoted keys, wildcards (`.status.addresses[*].value`) and equality filters
 * (`.status.conditions[?(@.type=="Programmed")].status`). Like kube-apiserver's CRD table convertor, a path that
 * matches several values yields the first. Enough for printer columns; not a general evaluator.
 */

type Step = { field: string } | { index: number } | { wildcard: true } | { filter: { path: string[]; value: string } };

function parse(path: string): Step[] {
  const expr = path.trim().replace(/^\{/, '').replace(/\}$/, '').replace(/^\$/, '');
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]|\[\*\]|\[\?\(@((?:\.[^.=!()\s]+)+)\s*==\s*(?:"([^"]*)"|'([^']*)')\)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(expr)) !== null) {
    if (m[1] !== undefined) steps.push({ field: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else if (m[3] !== undefined) steps.push({ field: m[3] });
    else if (m[4] !== undefined) steps.push({ filter: { path: m[4].slice(1).split('.'), value: m[5] ?? m[6] ?? '' } });
    else steps.push({ wildcard: true });
  }
  return steps;
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') return Object.values(value);
  return [];
}

function at(value: unknown, path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Evaluates a printer-column JSONPath against an object: the first value it selects, or undefined. */
export function evaluateJsonPath(obj: unknown, path: string): unknown {
  let current: unknown[] = [obj];
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const value of current) {
      if ('wildcard' in step) next.push(...children(value));
      else if ('filter' in step) next.push(...children(value).filter((c) => String(at(c, step.filter.path)) === step.filter.value));
      else if (value !== null && typeof value === 'object') {
        const key = 'field' in step ? step.field : step.index;
        const child = (value as Record<string | number, unknown>)[key];
        if (child !== undefined) next.push(child);
      }
    }
    current = next;
  }
  return current[0];
}
