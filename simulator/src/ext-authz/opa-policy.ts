/**
 * The part of Rego the simulated OPA-Envoy understands: a policy in package `envoy.authz` whose decision is `allow`,
 * with `default allow = <bool>`, and optionally `allow { not deny }` with `deny` rules that each compare one request
 * header with a string (`http_request.headers["name"] == "value"` or
 * `input.attributes.request.http.headers["name"] == "value"`). That is what deploy/opa/policy.rego and OSM's
 * walkthrough policy (`default allow = false`, deny-all) use. Anything else is not evaluated: the server answers
 * every request with the default (simulator/README.md).
 */

export interface SimplePolicy {
  defaultAllow: boolean;
  /** `allow { not deny }` is present: the decision is "no deny rule matches". */
  allowUnlessDenied: boolean;
  /** Headers (lower-case name, value) any of which matches a deny rule. */
  denyHeaders: { name: string; value: string }[];
}

export function parsePolicy(text: string): SimplePolicy {
  const code = text.split('\n').map((l) => l.replace(/#.*$/, '')).join('\n');
  const def = /default\s+allow\s*:?=\s*(true|false)/.exec(code);
  const notDeny = /allow\s*(?:if\s*)?\{\s*not\s+deny\s*\}/.test(code);
  const denyHeaders: SimplePolicy['denyHeaders'] = [];
  if (notDeny) {
    for (const m of code.matchAll(/deny\s*(?:if\s*)?\{\s*(?:http_request|input\.attributes\.request\.http)\.headers\["([^"]+)"\]\s*==\s*"([^"]*)"\s*\}/g)) {
      denyHeaders.push({ name: m[1]!.toLowerCase(), value: m[2]! });
    }
  }
  return { defaultAllow: def?.[1] === 'true', allowUnlessDenied: notDeny, denyHeaders };
}

/** The decision for a request's headers (lower-case names). */
export function decide(policy: SimplePolicy, headers: Record<string, string | string[] | undefined>): boolean {
  if (!policy.allowUnlessDenied) return policy.defaultAllow;
  const denied = policy.denyHeaders.some((h) => {
    const v = headers[h.name];
    return Array.isArray(v) ? v.includes(h.value) : v === h.value;
  });
  return !denied;
}
