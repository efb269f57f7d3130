import type { Flavor } from '../config/targets.ts';
import type { MeshProfile, MeshSettings } from './mesh-profile.ts';

/** How a mesh profile is registered (harness/mesh/index.ts): its name, defaults per cluster flavor, and a constructor. */
export interface MeshProfileFactory {
  readonly name: string;
  readonly title: string;
  /** Defaults for a cluster flavor: where the control plane runs, the mesh name, the ingress profile the guide pairs with it. */
  defaults(flavor: Flavor): { namespace: string; meshName: string; ingress: string };
  create(settings: MeshSettings): MeshProfile;
}
