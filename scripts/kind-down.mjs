#!/usr/bin/env node
// Deletes the kind cluster kind-up created (idempotent: nothing to do when it is gone).
//
//   node scripts/kind-down.mjs [--name mesh-conformance] [--dry-run]
import process from 'node:process';
import { kindDefaults, kindDown, kindDownTools } from './lib/kind-env.mjs';
import { scriptMain } from './lib/script-main.mjs';

process.exitCode = await scriptMain({
  name: 'kind-down',
  usage: 'node scripts/kind-down.mjs [--name NAME (default mesh-conformance)] [--dry-run: print the commands only]',
  options: { name: 'string' },
  tools: kindDownTools,
  main: async (runner, args) => {
    await kindDown(runner, { name: String(args.name ?? kindDefaults.name) });
  },
});
