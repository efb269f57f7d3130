import type { MeshName, MeshProfile } from './mesh-profile.ts';
import { osmProfile } from './osm-profile.ts';

/** The profile for a configured mesh (one switch to extend when Istio arrives). */
export function meshProfileFor(name: MeshName, opts: { meshName: string; meshNamespace: string }): MeshProfile {
  switch (name) {
    case 'osm':
      return osmProfile(opts);
  }
}
