/**
 * AuthorizationPolicy evaluation as a proxy's RBAC filters do it (istio.md §4): the policies that apply to a workload
 * (its namespace's whose `selector.matchLabels` match its labels or that have no selector, and the root namespace's
 * without a selector, or with one matching: a root-namespace selector applies in every namespace), then CUSTOM
 * (skipped: no ext-authz provider is emulated), DENY, ALLOW. An ALLOW policy with no rules (`spec: {}`) matches
 * nothing, so it denies everything; `rules: [{}]` matches everything. Principals and namespaces need mTLS (an empty
 * principal matches no principal or namespace rule); values match exactly, or with a leading or trailing `*`, and `*`
 * alone means "present". AUDIT does not change the decision.
 */
import type { KubeObject } from '../../cluster/types.ts';
import { cidrContains } from '../osm/cidr.ts';
import { arr, obj, spec, str } from '../../controllers/kube-objects.ts';
import { matchesMapSelector } from '../../controllers/label-selector.ts';

/** What the RBAC filter knows about one request. */
export interface AuthzRequest {
  /** The peer's principal without `spiffe://` (`cluster.local/ns/x/sa/y`), or '' without mTLS. */
  principal: string;
  sourceIp: string;
  method: string;
  path: string;
  /** The destination port (the workload's container port). */
  port: number;
  host: string;
  headers: Record<string, string | string[] | undefined>;
}

export type AuthzDecision =
  | { allowed: true; reason: 'no-policy' | 'allowed-by-policy' }
  | { allowed: false; reason: 'denied-by-policy' | 'no-allow-match'; policy?: string };

export interface AuthzOptions {
  /** Ignore DENY policies and ALLOW policies without rules (hook authzIgnoresDeny). */
  ignoreDeny?: boolean;
  /** No ALLOW rule matches (hook authzIgnoresAllowRules). */
  ignoreAllowRules?: boolean;
  /** `paths` patterns match only exactly (hook authzPathsExact). */
  exactPaths?: boolean;
}

/** The policies that apply to a workload with these labels in `namespace`. */
export function applicablePolicies(policies: KubeObject[], namespace: string, labels: Record<string, string>, rootNamespace: string): KubeObject[] {
  return policies.filter((p) => {
    const ns = p.metadata.namespace;
    if (ns !== namespace && ns !== rootNamespace) return false;
    const s = spec(p);
    if (s['targetRef'] !== undefined || s['targetRefs'] !== undefined) return false; // waypoint/gateway attachment: not for sidecars
    const selector = obj(obj(s['selector'])['matchLabels']) as Record<string, string>;
    return Object.keys(selector).length === 0 || matchesMapSelector(selector, labels);
  });
}

/** Istio's string match: exact, `prefix*`, `*suffix`, or `*` (any non-empty value). */
export function stringMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== '';
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** One field's positive and negative lists; absent lists do not constrain. */
function fieldMatches(values: string[], notValues: string[], actual: string, match: (pattern: string, value: string) => boolean = stringMatches): boolean {
  if (values.length > 0 && !values.some((v) => match(v, actual))) return false;
  if (notValues.length > 0 && notValues.some((v) => match(v, actual))) return false;
  return true;
}

function namespaceOfPrincipal(principal: string): string {
  return /\/ns\/([^/]+)\//.exec(principal)?.[1] ?? '';
}

function sourceMatches(source: Record<string, unknown>, req: AuthzRequest): boolean {
  const ns = namespaceOfPrincipal(req.principal);
  const ip = (pattern: string, value: string): boolean => (pattern.includes('/') ? cidrContains(pattern, value) : pattern === value);
  // requestPrincipals need a JWT (RequestAuthentication), which is not emulated: any such constraint fails.
  if (strings(source['requestPrincipals']).length > 0) return false;
  return fieldMatches(strings(source['principals']), strings(source['notPrincipals']), req.principal)
    && fieldMatches(strings(source['namespaces']), strings(source['notNamespaces']), ns)
    && fieldMatches(strings(source['ipBlocks']), strings(source['notIpBlocks']), req.sourceIp, ip);
}

function operationMatches(op: Record<string, unknown>, req: AuthzRequest, exactPaths: boolean): boolean {
  const path = req.path.split('?')[0] ?? '/';
  const host = req.host.toLowerCase();
  const hostMatch = (pattern: string, value: string): boolean => stringMatches(pattern.toLowerCase(), value) || stringMatches(pattern.toLowerCase(), value.replace(/:\d+$/, ''));
  return fieldMatches(strings(op['methods']), strings(op['notMethods']), req.method)
    && fieldMatches(strings(op['paths']), strings(op['notPaths']), path, exactPaths ? (pattern, value) => pattern === value : stringMatches)
    && fieldMatches(strings(op['ports']), strings(op['notPorts']), String(req.port))
    && fieldMatches(strings(op['hosts']), strings(op['notHosts']), host, hostMatch);
}

/** `when` conditions on the keys a sidecar can evaluate here; any other key matches nothing. */
function conditionMatches(c: Record<string, unknown>, req: AuthzRequest): boolean {
  const key = str(c['key']) ?? '';
  let actual: string | undefined;
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header) {
    const v = req.headers[header[1]!.toLowerCase()];
    actual = Array.isArray(v) ? v.join(',') : v;
  } else if (key === 'source.principal') actual = req.principal;
  else if (key === 'source.namespace') actual = namespaceOfPrincipal(req.principal);
  else if (key === 'source.ip') actual = req.sourceIp;
  else if (key === 'destination.port') actual = String(req.port);
  else if (key === 'request.method' || key === 'request.http.method') actual = req.method;
  if (actual === undefined) return false;
  return fieldMatches(strings(c['values']), strings(c['notValues']), actual);
}

function ruleMatches(rule: Record<string, unknown>, req: AuthzRequest, exactPaths: boolean): boolean {
  const from = arr(rule['from']);
  const to = arr(rule['to']);
  const when = arr(rule['when']);
  return (from.length === 0 || from.some((f) => sourceMatches(obj(f['source']), req)))
    && (to.length === 0 || to.some((t) => operationMatches(obj(t['operation']), req, exactPaths)))
    && when.every((c) => conditionMatches(c, req));
}

function policyMatches(policy: KubeObject, req: AuthzRequest, exactPaths = false): boolean {
  return arr(spec(policy)['rules']).some((rule) => ruleMatches(rule, req, exactPaths));
}

function actionOf(policy: KubeObject): string {
  return str(spec(policy)['action']) ?? 'ALLOW';
}

/** The RBAC verdict for one request against the policies that apply to the workload. */
export function evaluateAuthz(policies: KubeObject[], req: AuthzRequest, opts: AuthzOptions = {}): AuthzDecision {
  const name = (p: KubeObject): string => `ns[${p.metadata.namespace ?? ''}]-policy[${p.metadata.name ?? ''}]`;
  if (!opts.ignoreDeny) {
    const deny = policies.find((p) => actionOf(p) === 'DENY' && policyMatches(p, req, opts.exactPaths));
    if (deny) return { allowed: false, reason: 'denied-by-policy', policy: name(deny) };
  }
  let allows = policies.filter((p) => actionOf(p) === 'ALLOW');
  if (opts.ignoreDeny) allows = allows.filter((p) => arr(spec(p)['rules']).length > 0);
  if (allows.length === 0) return { allowed: true, reason: 'no-policy' };
  if (!opts.ignoreAllowRules && allows.some((p) => policyMatches(p, req, opts.exactPaths))) return { allowed: true, reason: 'allowed-by-policy' };
  return { allowed: false, reason: 'no-allow-match' };
}
