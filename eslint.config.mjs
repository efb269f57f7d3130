// Lint rules that keep the layers honest: async hygiene and import boundaries (see docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { noProfileIdentifiers, profileImport } from './eslint-rules.mjs';

const simulatorBoundary = {
  group: ['**/simulator/**', '../simulator/*', '../../simulator/*'],
  message: 'tests/, fixtures/ and harness/ reach the simulated cluster only through a kubeconfig: never import simulator/.',
};

/** The profile folders and the registries: the only places that name a profile's modules and identifiers. */
const profileFolders = ['harness/mesh/*/**', 'harness/ingress/*/**', 'harness/mesh/index.ts', 'harness/ingress/index.ts'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', 'test-results/**', 'playwright-report/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty-pattern': 'off',
    },
  },
  {
    files: ['tests/**', 'fixtures/**', 'harness/**', 'cli/**'],
    ignores: profileFolders,
    rules: { 'no-restricted-imports': ['error', { patterns: [simulatorBoundary, profileImport] }] },
  },
  {
    files: ['harness/**'],
    ignores: profileFolders,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          simulatorBoundary,
          profileImport,
          { group: ['**/fixtures/**', '**/tests/**', '../fixtures/*', '../tests/*'], message: 'harness/ is a library: it must not import from fixtures/ or tests/.' },
        ],
      }],
    },
  },
  {
    files: ['harness/mesh/*/**', 'harness/ingress/*/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [simulatorBoundary, { group: ['**/fixtures/**', '**/tests/**'], message: 'harness/ is a library: it must not import from fixtures/ or tests/.' }] }] },
  },
  {
    files: ['tests/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [simulatorBoundary, profileImport, { regex: '(^|/)harness/', message: 'Specs import only from fixtures/, the single entry point (it re-exports the harness vocabulary).' }],
        paths: [{ name: '@playwright/test', message: 'Specs import test and expect from fixtures/, the single entry point.' }],
      }],
    },
  },
  {
    // client-node, undici and ws are loaded on first use (harness/k8s/client-node.ts, harness/http/undici.ts,
    // harness/k8s/port-forward.ts), so a process that only lists tests, or a CLI that sends no HTTP, never pays for them.
    files: ['tests/**', 'fixtures/**', 'harness/**', 'cli/**'],
    ignores: ['**/*.test.ts', 'harness/k8s/client-node.ts', 'harness/http/undici.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [
          { name: '@kubernetes/client-node', allowTypeImports: true, message: 'Import its types with `import type`, and its values through clientNode() (harness/k8s/client-node.ts): loaded on first use.' },
          { name: 'undici', allowTypeImports: true, message: 'Import its types with `import type`, and its values through undici() (harness/http/undici.ts): loaded on first use.' },
          { name: 'ws', allowTypeImports: true, message: 'Import its types with `import type`; harness/k8s/port-forward.ts loads it on first use.' },
        ],
      }],
    },
  },
  {
    // The mesh-neutral core: no mesh profile's identifiers, in code or comments (eslint-rules.mjs).
    files: ['tests/**', 'fixtures/**', 'harness/**', 'cli/**'],
    ignores: profileFolders,
    plugins: { 'mesh-conformance': { rules: { 'no-profile-identifiers': noProfileIdentifiers } } },
    rules: { 'mesh-conformance/no-profile-identifiers': 'error' },
  },
  {
    files: ['simulator/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/harness/**', '**/fixtures/**', '**/tests/**'], message: 'The simulator is a cluster, not a part of the harness: it must not import harness code.' }] }],
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
);
