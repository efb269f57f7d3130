/**
 * Label selector evaluation shared by the controllers, the webhooks' namespaceSelector and the mesh view.
 * Kubernetes has two selector shapes: the map form (Service.spec.selector) and LabelSelector
 * (Deployment.spec.selector, webhook namespaceSelector); both are handled here.
 */

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Whether `labels` satisfy a Service-style map selector. An empty map selects everything, as in Kubernetes. */
export function matchesMapSelector(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  return Object.entries(selector).every(([key, value]) => have[key] === value);
}

/** Whether `labels` satisfy a LabelSelector. An undefined selector matches everything (webhook semantics). */
export function matchesLabelSelector(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  const have = labels ?? {};
  if (selector.matchLabels && !matchesMapSelector(selector.matchLabels, have)) return false;
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || !values.includes(have[req.key]!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(have[req.key]!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
