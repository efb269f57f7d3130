/**
 * SMI route patterns are RE2 regular expressions matched against the whole value (OSM programs them as Envoy
 * safe_regex); an Istio AuthorizationPolicy matches paths, hosts and header values only exactly, by prefix (`abc*`),
 * by suffix (`*abc`) or by presence (`*`) (istio.md §4; security/v1beta1 authorization_policy.proto). A pattern
 * translates when it is one of those shapes, with optional `^`/`$` anchors and escaped literals; anything else (an
 * inner wildcard, a class, an alternation, a repetition) has no exact equivalent and is reported, never approximated.
 */

export type IstioStringMatch = { value: string } | { untranslatable: string };

const meta = new Set(['.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '\\']);

/** The literal characters of `s` (escapes resolved), or undefined when it holds an unescaped metacharacter. */
function literal(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined; // \d, \w, \b, ... are classes
      out += next;
      i++;
      continue;
    }
    if (meta.has(c)) return undefined;
    out += c;
  }
  return out;
}

/** The Istio string match that accepts exactly what the RE2 pattern matches in full. */
export function istioStringMatch(pattern: string): IstioStringMatch {
  let p = pattern;
  if (p.startsWith('^')) p = p.slice(1);
  if (p.endsWith('$') && !p.endsWith('\\$')) p = p.slice(0, -1);
  if (p === '' || p === '.*') return { value: '*' };
  const exact = literal(p);
  if (exact !== undefined && !exact.includes('*')) return { value: exact };
  if (p.endsWith('.*')) {
    const head = literal(p.slice(0, -2));
    if (head !== undefined && !head.includes('*')) return { value: `${head}*` };
  }
  if (p.startsWith('.*')) {
    const tail = literal(p.slice(2));
    if (tail !== undefined && !tail.includes('*')) return { value: `*${tail}` };
  }
  return { untranslatable: `the RE2 pattern ${JSON.stringify(pattern)} is not an exact value, a prefix (abc.*) or a suffix (.*abc): an AuthorizationPolicy can only match those` };
}
