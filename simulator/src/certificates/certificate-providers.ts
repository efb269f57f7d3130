/**
 * OSM's certificate providers other than Tresor (docs/certificates.md): HashiCorp Vault and cert-manager, as the
 * OSM 1.2 docs "Certificate Management" lay them out, deployed only under their faults (no flavor runs them).
 *
 * - The flags: osm-controller, osm-injector and osm-bootstrap all take `--certificate-manager` and the provider's
 *   flags (Helm `osm.certificateProvider.kind`, `osm.vault.*`, `osm.certmanager.*`).
 * - **Vault** (`vault-sealed`): a Vault server in namespace `vault` (Service `vault`, 8200) started without `-dev`,
 *   so, as a real one, it comes up sealed: `/v1/sys/health` answers 503 (src/node/vault-container.ts). Every
 *   certificate OSM asks for is a `PUT /v1/pki/issue/<role>` to it, first of them the bootstrap certificate osm-injector
 *   issues for each sidecar while it admits the pod (pkg/injector/patch.go `createPatch`: `IssueCertificate`, its
 *   error returned to the API server as the webhook's denial). So every meshed pod is refused, with the Vault API
 *   client's error text.
 * - **cert-manager** (`cert-manager-issuer-not-ready`): the `Issuer` osm-ca (cert-manager.io/v1) in the mesh's
 *   namespace, a CA issuer whose key pair Secret (`osm-ca-key-pair`) does not exist, so cert-manager's issuer
 *   controller (src/certificates/cert-manager-issuers.ts) holds it `Ready=False` (`ErrGetKeyPair`). What OSM's injector then does (its CertificateRequest is never signed) is not emulated:
 *   simulator/README.md says so.
 *
 * UNCONFIRMED, said in simulator/README.md: whether osm-controller (which issues its own certificates at start)
 * crash-loops against a sealed Vault; here the control plane keeps running and only issuance fails.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { MeshHooks } from '../hooks.ts';
import { deployment, namespace, service } from '../flavors/workloads.ts';

/** OSM's Helm defaults for Vault (`osm.vault.role`, port, protocol) and the demo's host. */
export const vaultService = { namespace: 'vault', name: 'vault', port: 8200, role: 'openservicemesh' } as const;
/** The image OSM's Vault demo runs; the tag is our choice. */
export const vaultImage = 'hashicorp/vault:1.15.6';
/** OSM's cert-manager defaults (`osm.certmanager.issuerName/Kind/Group`). */
export const certManagerIssuer = { name: 'osm-ca', kind: 'Issuer', group: 'cert-manager.io' } as const;

type ProviderHooks = Pick<MeshHooks, 'vaultSealed' | 'certManagerIssuerNotReady'>;

/** The provider the control plane runs with. */
export function certificateProviderOf(hooks: ProviderHooks): 'tresor' | 'vault' | 'cert-manager' {
  if (hooks.vaultSealed) return 'vault';
  return hooks.certManagerIssuerNotReady ? 'cert-manager' : 'tresor';
}

/** The `--certificate-manager` flag and its provider's flags, as the chart passes them to each control-plane component. */
export function certificateManagerArgs(hooks: ProviderHooks): string[] {
  const provider = certificateProviderOf(hooks);
  if (provider === 'vault') {
    return ['--certificate-manager', 'vault', '--vault-host', `${vaultService.name}.${vaultService.namespace}.svc.cluster.local`,
      '--vault-port', String(vaultService.port), '--vault-protocol', 'http', '--vault-role', vaultService.role];
  }
  if (provider === 'cert-manager') {
    return ['--certificate-manager', 'cert-manager', '--cert-manager-issuer-name', certManagerIssuer.name,
      '--cert-manager-issuer-kind', certManagerIssuer.kind, '--cert-manager-issuer-group', certManagerIssuer.group];
  }
  return ['--certificate-manager', 'tresor'];
}

/** What the provider needs in the cluster: Vault's Deployment and Service, or cert-manager's Issuer CRD and the Issuer. */
export function certificateProviderObjects(meshNamespace: string, hooks: ProviderHooks): KubeObject[] {
  const provider = certificateProviderOf(hooks);
  if (provider === 'vault') {
    const labels = { 'app.kubernetes.io/name': 'vault', app: 'vault' };
    return [
      namespace(vaultService.namespace),
      // `vault server` with a config, not `-dev`: a real server starts sealed until an operator unseals it.
      deployment({ name: 'vault', namespace: vaultService.namespace, labels, podLabels: labels, replicas: 1, image: vaultImage, containerName: 'vault',
        args: ['server', '-config=/vault/config'], ports: [{ name: 'http', containerPort: vaultService.port }] }),
      service({ name: vaultService.name, namespace: vaultService.namespace, labels, selector: { app: 'vault' }, ports: [{ name: 'http', port: vaultService.port, targetPort: vaultService.port }] }),
    ];
  }
  if (provider === 'cert-manager') {
    return [issuerCrd(), {
      apiVersion: `${certManagerIssuer.group}/v1`, kind: certManagerIssuer.kind,
      metadata: { name: certManagerIssuer.name, namespace: meshNamespace },
      // A CA issuer whose key pair Secret was never created: cert-manager (src/certificates/cert-manager-issuers.ts)
      // holds it Ready=False, ErrGetKeyPair.
      spec: { ca: { secretName: 'osm-ca-key-pair' } },
    }];
  }
  return [];
}

/**
 * Why osm-injector cannot issue a sidecar's bootstrap certificate (undefined: it can): the Vault API client's error
 * (`api.ResponseError`) for the sealed server's answer to the issue request.
 */
export function bootstrapCertificateRefusal(hooks: ProviderHooks): string | undefined {
  if (!hooks.vaultSealed) return undefined;
  const url = `http://${vaultService.name}.${vaultService.namespace}.svc.cluster.local:${vaultService.port}/v1/pki/issue/${vaultService.role}`;
  return `Error making API request.\n\nURL: PUT ${url}\nCode: 503. Errors:\n\n* Vault is sealed`;
}

/** cert-manager's Issuer CRD (namespaced, v1, with the status subresource), as its release manifest installs it. */
function issuerCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: 'issuers.cert-manager.io', labels: { 'app.kubernetes.io/name': 'cert-manager' } },
    spec: {
      group: 'cert-manager.io', scope: 'Namespaced',
      names: { plural: 'issuers', singular: 'issuer', kind: 'Issuer', listKind: 'IssuerList', categories: ['cert-manager'] },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}
