# The policy `kind-up --with opa` gives OPA-Envoy (docs/external-authorization.md): every request is allowed except
# one that carries the external-authorization check's marker header (its deny probe, config extAuthzDenyHeader).
# Written in the Rego of OPA 0.28 (the image OSM's walkthrough pins), which predates `if` and `contains`.
package envoy.authz

import input.attributes.request.http as http_request

default allow = false

allow {
  not deny
}

deny {
  http_request.headers["x-mesh-conformance-authz"] == "deny"
}
