/**
 * OSM's inbound external authorization (MeshConfig `spec.traffic.inboundExternalAuthorization`, osm.md; OSM-docs
 * "External Authorization"): when enabled, osm-controller adds Envoy's ext_authz HTTP filter, a gRPC client of
 * `<address>:<port>`, to the inbound and the ingress filter chains of every sidecar (pkg/envoy/lds). The check turns it
 * on the way OSM's OPA walkthrough does, pointing at the walkthrough's Service `opa/opa` (gRPC 9191), failing closed;
 * docs/external-authorization.md has the sources and what stayed unconfirmed.
 */
import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import type { KubeClient } from '../../k8s/kube-client.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import type { SharedChange } from '../../k8s/shared-change.ts';
import type { SharedObject } from '../../k8s/write-scope.ts';
import type { FeatureProbeContext } from '../../checks/features.ts';
import type { ExternalAuthorizationState, MeshExternalAuthorization, MeshSettings } from '../mesh-profile.ts';
import { meshConfigName } from './keys.ts';

interface MeshConfigObject extends KubernetesObject {
  spec?: { traffic?: { inboundExternalAuthorization?: { enable?: boolean; address?: string; port?: number; timeout?: string; failureModeAllow?: boolean } } };
}

/** The cluster change that turns it on (harness/config/config-schema.ts `clusterChangeNames`). */
export const externalAuthorizationChange = 'external-authorization';

/** OSM-docs release-v1.2 manifests/opa/deploy-opa-envoy.yaml: Service `opa` in namespace `opa`, gRPC port 9191. */
const opaService = { namespace: 'opa', name: 'opa', port: 9191 } as const;

export function osmExternalAuthorization(settings: MeshSettings): MeshExternalAuthorization & { sharedObject: SharedObject; unavailable(ctx: FeatureProbeContext): Promise<string | undefined> } {
  const ref = { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', plural: 'meshconfigs', namespaced: true, namespace: settings.namespace, name: meshConfigName } as const;
  const source = `MeshConfig ${settings.namespace}/${meshConfigName}`;
  const current = async (client: KubeClient, budgetMs: number): Promise<ExternalAuthorizationState | undefined> => {
    const mc = await client.read<MeshConfigObject>(ref, { budgetMs });
    if (!mc) return undefined;
    const ext = mc.spec?.traffic?.inboundExternalAuthorization ?? {};
    return { enabled: ext.enable === true, address: ext.address ?? '', port: ext.port ?? 0, failureModeAllow: ext.failureModeAllow === true, timeout: ext.timeout, source };
  };
  return {
    current,
    defaultService: opaService,
    clusterChange: externalAuthorizationChange,
    changeAccess: { verbs: ['get', 'patch'], group: 'config.openservicemesh.io', resource: 'meshconfigs', namespace: settings.namespace, why: 'turn on inbound external authorization and restore it (extended check external-authorization)' },
    enable: (): SharedChange => ({
      name: externalAuthorizationChange,
      ref,
      description: `turns on inbound external authorization with ${opaService.name}.${opaService.namespace}.svc.cluster.local:${opaService.port} (failureModeAllow false, timeout 1s)`,
      // The walkthrough's settings (OSM-docs "External Authorization").
      patch: { spec: { traffic: { inboundExternalAuthorization: {
        enable: true, address: `${opaService.name}.${opaService.namespace}.svc.cluster.local`, port: opaService.port, statPrefix: 'inboundExtAuthz', timeout: '1s', failureModeAllow: false,
      } } } },
    }),
    sharedObject: { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, why: 'turn on inbound external authorization for the external-authorization check', change: externalAuthorizationChange },
    /** Why the check cannot run here: off, and either no authorization service to point at, or the change not allowed. */
    async unavailable(ctx) {
      const state = await current(ctx.client, ctx.budgetMs);
      if (!state) return `${source} not found`;
      if (state.enabled) return state.address && state.port ? undefined : `${source} enables inbound external authorization without an address and port`;
      const svc = await ctx.client.read<V1Service>({ ...resourceTypes.service, namespace: opaService.namespace, name: opaService.name }, { budgetMs: ctx.budgetMs });
      if (!svc?.spec?.ports?.some((p) => p.port === opaService.port)) {
        return `inbound external authorization is off in ${source} and there is no authorization service to turn it on with (Service ${opaService.namespace}/${opaService.name} with port ${opaService.port}, as OSM's OPA walkthrough deploys it): install one (\`node scripts/kind-up.mjs --with opa\`, docs/external-authorization.md) or enable it in the MeshConfig`;
      }
      if (!ctx.clusterChanges.includes(externalAuthorizationChange)) {
        return `inbound external authorization is off in ${source}; turning it on with Service ${opaService.namespace}/${opaService.name} is a cluster-wide change: allow it with --allow-cluster-change ${externalAuthorizationChange} (restored after the check)`;
      }
      return undefined;
    },
  };
}
