/**
 * The node cannot pull the httpbin image for one namespace only: the first namespace whose pod asks for it, as when a
 * registry's pull rate limit refuses one pull and not the next ones. With copies of the flow (`--namespaces N`), one
 * copy fails and the others pass; with one namespace it is `image-pull-error`.
 */
import { defineFault } from './fault.ts';

export const imagePullErrorOneNamespace = defineFault({
  name: 'image-pull-error-one-namespace',
  outcome: 'fail',
  description: 'the httpbin image cannot be pulled for the first namespace that asks for it (ErrImagePull, then ImagePullBackOff); other namespaces pull it',
  hooks: () => {
    let refused: string | undefined;
    return {
      node: {
        imagePullFails: (image, namespace) => {
          if (image.kind !== 'httpbin') return false;
          refused ??= namespace;
          return namespace === refused;
        },
      },
    };
  },
});
