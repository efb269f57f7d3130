/** The OSM profile's registration: its defaults per cluster flavor, how to find it, its leftovers, and how to create it. */
import type { V1Deployment } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import type { MeshProfileFactory } from '../mesh-factory.ts';
import { osmLeftovers } from './leftovers.ts';
import { osmInventory } from './migrate/inventory.ts';
import { osmProfile } from './profile.ts';

export const osm = {
  name: 'osm',
  title: 'Open Service Mesh (OSM)',
  defaults: (flavor) => flavor === 'aks'
    ? { namespace: 'kube-system', meshName: 'osm', ingress: 'agic' }
    : { namespace: 'osm-system', meshName: 'osm', ingress: 'nginx' },
  installHint: (flavor) => flavor === 'aks'
    ? 'enable the OSM add-on: `az aks enable-addons --addons open-service-mesh` (retired: support ends 2027-09-30; the guide points to Istio)'
    : 'install OSM: `node scripts/kind-up.mjs --mesh osm`',
  async detect(client, budgetMs) {
    const found = (await client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=osm-controller' }, { budgetMs })).items;
    const namespaces = [...new Set(found.map((d) => d.metadata?.namespace ?? '').filter(Boolean))];
    return { namespaces, revisions: [], found: namespaces.map((n) => `osm-controller in ${n}`).join(', ') };
  },
  leftovers: osmLeftovers,
  create: osmProfile,
  // The AKS add-on is retired: Microsoft supports it until 2027-09-30 and points to the Istio add-on. Upstream OSM is
  // archived, so a self-installed OSM (kind) has no support window to show.
  support: (flavor) => flavor === 'aks'
    ? { ends: '2027-09-30', note: 'the AKS Open Service Mesh add-on is retired; support ends on this day (migrate to the Istio add-on)' }
    : undefined,
  // OSM v1.2 strips X-Forwarded-Client-Cert (its connection manager sets no forward_client_cert_details), so its
  // answers carry no mTLS evidence: mtlsEvidence is left out ("unknown").
  migration: { inventory: osmInventory },
} as const satisfies MeshProfileFactory;
