/** The OSM profile's registration: its defaults per cluster flavor, and how to create it. */
import type { MeshProfileFactory } from '../mesh-factory.ts';
import { osmProfile } from './profile.ts';

export const osm = {
  name: 'osm',
  title: 'Open Service Mesh (OSM)',
  defaults: (flavor) => flavor === 'aks'
    ? { namespace: 'kube-system', meshName: 'osm', ingress: 'agic' }
    : { namespace: 'osm-system', meshName: 'osm', ingress: 'nginx' },
  create: osmProfile,
} as const satisfies MeshProfileFactory;
