/**
 * The volumes istiod's injection templates give a pod running istio-proxy (manifests/charts/istio-control/
 * istio-discovery/files/injection-template.yaml and gateway-injection-template.yaml): the sidecar template adds the
 * optional `istio-ca-crl` ConfigMap, the gateway template mounts no CRL.
 */
export function istioProxyVolumes(opts: { crl: boolean }): Record<string, unknown>[] {
  return [
    { name: 'workload-socket', emptyDir: {} },
    { name: 'credential-socket', emptyDir: {} },
    { name: 'workload-certs', emptyDir: {} },
    { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
    { name: 'istio-data', emptyDir: {} },
    { name: 'istio-podinfo', downwardAPI: { defaultMode: 420, items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }, { path: 'annotations', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.annotations' } }] } },
    { name: 'istio-token', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
    { name: 'istiod-ca-cert', configMap: { defaultMode: 420, name: 'istio-ca-root-cert' } },
    ...(opts.crl ? [{ name: 'istio-ca-crl', configMap: { defaultMode: 420, name: 'istio-ca-crl', optional: true } }] : []),
  ];
}
