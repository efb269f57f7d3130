// kube-apiserver of the pinned k8s.io/kubernetes version.
// Built by scripts/upstream-build.mjs; the same entry point as upstream's cmd/kube-apiserver.
package main

import (
	"os"
	_ "time/tzdata" // time zones without the host database, as upstream

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // the version metric
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
