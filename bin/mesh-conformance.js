#!/usr/bin/env node
// The `mesh-conformance` command: registers tsx so the TypeScript CLI runs as is, then hands over to it.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
