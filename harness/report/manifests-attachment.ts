import { stringify } from 'yaml';
import type { SentManifest } from '../k8s/kube-client.ts';
import type { Attachment } from '../diagnostics/attachment.ts';

/**
 * The manifests a check sent to the cluster, as one multi-document YAML attachment (`# apply`, `# patch` before
 * each): what the report shows under "manifests applied". Empty when the check wrote nothing.
 */
export function manifestsAttachment(sent: readonly SentManifest[]): Attachment[] {
  if (!sent.length) return [];
  const body = sent.map((s) => `# ${s.verb}\n${stringify(s.object, { lineWidth: 0 })}`).join('---\n');
  return [{ name: 'manifests applied', contentType: 'application/yaml', body }];
}
