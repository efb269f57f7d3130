// Lint rules that keep the layers honest: async hygiene and import boundaries (see docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const simulatorBoundary = {
  group: ['**/simulator/**', '../simulator/*', '../../simulator/*'],
  message: 'tests/, fixtures/ and harness/ reach the simulated cluster only through a kubeconfig: never import simulator/.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', 'test-results/**', 'playwright-report/**'] },
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
    files: ['tests/**', 'fixtures/**', 'harness/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [simulatorBoundary] }] },
  },
  {
    files: ['harness/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          simulatorBoundary,
          { group: ['**/fixtures/**', '**/tests/**', '../fixtures/*', '../tests/*'], message: 'harness/ is a library: it must not import from fixtures/ or tests/.' },
        ],
      }],
    },
  },
  {
    files: ['tests/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [simulatorBoundary],
        paths: [{ name: '@playwright/test', message: 'Specs import test and expect from fixtures/, the single entry point.' }],
      }],
    },
  },
  {
    files: ['simulator/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/harness/**', '**/fixtures/**', '**/tests/**'], message: 'The simulator is a cluster, not a part of the harness: it must not import harness code.' }] }],
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
);
