// Package agentgateway stands in for istio.io/istio/pilot/pkg/config/kube/agentgateway in the pilot-discovery that
// scripts/upstream-build.mjs builds: the real package needs github.com/agentgateway/agentgateway/api, which the Go
// module proxy reachable here does not serve. It keeps the two names pilot/pkg/bootstrap uses. istiod only builds
// the controller when PILOT_ENABLE_AGENTGATEWAY is true (the default is false); this build then stops at start-up
// with a message instead of running without it. Written for mesh-conformance, not upstream code.
package agentgateway

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/serviceregistry/kube/controller"
	"istio.io/istio/pilot/pkg/status"
	"istio.io/istio/pilot/pkg/xds"
	"istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/log"
)

// Controller has the fields and methods pilot/pkg/bootstrap uses; it is never constructed.
type Controller struct {
	model.ConfigStoreController
	Registrations []xds.Registration
}

var _ model.AgentgatewayController = &Controller{}

// NewAgwController stops istiod: agentgateway support is not part of this build.
func NewAgwController(
	_ kube.Client,
	_ func(class schema.GroupVersionResource, stop <-chan struct{}) bool,
	_ controller.Options,
) *Controller {
	log.Fatal("PILOT_ENABLE_AGENTGATEWAY=true: this pilot-discovery is built without agentgateway " +
		"(github.com/agentgateway/agentgateway/api is not on the Go module proxy); unset it")
	return nil
}

// Reconcile is part of model.AgentgatewayController.
func (c *Controller) Reconcile(_ *model.PushContext) {}

// SetStatusWrite is called by the gateway status leader election.
func (c *Controller) SetStatusWrite(_ bool, _ *status.Manager) {}
