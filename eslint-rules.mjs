// The project's own lint rules (used by eslint.config.mjs; tested by scripts/lint-rules.test.mjs).

/**
 * Identifiers that belong to one mesh or ingress profile. The core (harness/, fixtures/, tests/, cli/ outside the
 * profile folders) must not name them, in code or in comments: it reaches a mesh only through its profile. Adding a
 * profile adds its identifiers here (docs/extending.md).
 */
export const profileIdentifiers = {
  osm: [/openservicemesh/i, /\bosm-[a-z]/, /IngressBackend/, /osmKeys/, /\bosm (namespace|metrics|install)\b/],
  istio: [/istio\.io/, /\bistiod\b/, /\bistio-(proxy|init|system|injection|validation|ingress|sidecar|cni)/, /AuthorizationPolicy/, /\baks-istio/, /istio_requests_total/],
};

/**
 * Reports every profile identifier in a file's text, comments included.
 * @type {import('eslint').Rule.RuleModule}
 */
export const noProfileIdentifiers = {
  meta: {
    type: 'problem',
    docs: { description: 'the mesh-neutral core names no mesh profile\'s identifiers; they live in harness/mesh/<mesh>/' },
    messages: { named: 'names the {{profile}} profile\'s identifier "{{text}}": move it into harness/mesh/{{profile}}/ and reach it through the profile' },
    schema: [],
  },
  create(context) {
    const source = context.sourceCode;
    return {
      Program() {
        for (const [profile, patterns] of Object.entries(profileIdentifiers)) {
          for (const pattern of patterns) {
            const re = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
            for (const m of source.text.matchAll(re)) {
              context.report({ loc: source.getLocFromIndex(m.index), messageId: 'named', data: { profile, text: m[0] } });
            }
          }
        }
      },
    };
  },
};

/** Import patterns that reach into a profile's folder (`harness/mesh/<mesh>/…`, `harness/ingress/<profile>/…`). */
export const profileImport = {
  regex: '(^|/)(mesh|ingress)/[^/]+/',
  message: 'only a profile\'s own folder and the registries (harness/mesh/index.ts, harness/ingress/index.ts) import a profile\'s modules: use the MeshProfile / IngressProfile interfaces',
};
