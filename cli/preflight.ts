import { accessSync, constants } from 'node:fs';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { BadInputError } from './exit-codes.ts';

/**
 * Checks, before anything starts, that a real target's kubeconfig can be read and names the context:
 * these are the user's input, so a problem is exit 2 with what to do, not a failed check.
 */
export function preflightKubeconfig(config: ConformanceConfig): void {
  const file = config.kubeconfig;
  if (!file) throw new BadInputError(`target ${config.target} needs a kubeconfig: pass --kubeconfig FILE or set KUBECONFIG`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new BadInputError(`cannot read kubeconfig ${file}: pass --kubeconfig FILE with a readable kubeconfig of the ${config.target} cluster`);
  }
  try {
    const client = KubeClient.connect({ kubeconfig: file, context: config.context });
    if (!client.context) throw new Error(`${file} has no current-context; pass --context NAME`);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new BadInputError(`unusable kubeconfig ${file}: ${msg}`);
  }
}
