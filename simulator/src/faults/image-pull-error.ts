/** The node cannot pull the httpbin image: ErrImagePull, then ImagePullBackOff; the pod stays Pending. */
import { defineFault } from './fault.ts';

export const imagePullError = defineFault({
  name: 'image-pull-error',
  outcome: 'fail',
  description: 'the httpbin image cannot be pulled (ErrImagePull, then ImagePullBackOff)',
  hooks: () => ({ node: { imagePullFails: (image) => image.kind === 'httpbin' } }),
});
