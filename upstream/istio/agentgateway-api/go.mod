// Placeholder for github.com/agentgateway/agentgateway/api, which the Go module proxy reachable here does not serve
// (403 "This module version is not available" for every version). istio.io/istio requires it only for
// pilot/pkg/config/kube/agentgateway, which the build replaces with ../agentgateway-stub through -overlay, so no
// package of this module is ever compiled. See ../README.md.
module github.com/agentgateway/agentgateway/api

go 1.25
