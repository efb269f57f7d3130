// The lint rules that keep the core mesh-neutral (eslint-rules.mjs), run through the project's real eslint config on
// probe files: they must fail on a violation in the core, and stay quiet inside a profile's own folder.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** @type {string[]} */
const probes = [];

/**
 * Writes a probe file and lints it with the project's config.
 * @param {string} relative the probe's path from the repository root
 * @param {string} text its content
 * @returns {Promise<string[]>} `rule: message` for each problem
 */
async function lint(relative, text) {
  const file = join(root, relative);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  probes.push(file);
  const [result] = await new ESLint({ cwd: root }).lintFiles([file]);
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint: the mesh-neutral core', () => {
  after(() => {
    for (const f of probes) rmSync(f, { force: true });
  });

  it('fails when the core names a profile\'s identifier, in code or in a comment', async () => {
    const messages = await lint('harness/lint-probe-core.ts', "// waits for osm-controller\nexport const kind = 'IngressBackend';\n");
    assert.deepEqual(messages.filter((m) => m.startsWith('mesh-conformance/')), [
      'mesh-conformance/no-profile-identifiers: names the osm profile\'s identifier "osm-c": move it into harness/mesh/osm/ and reach it through the profile',
      'mesh-conformance/no-profile-identifiers: names the osm profile\'s identifier "IngressBackend": move it into harness/mesh/osm/ and reach it through the profile',
    ]);
  });

  it('fails when the core imports a profile\'s module instead of going through the registry', async () => {
    const messages = await lint('fixtures/lint-probe-import.ts', "import { osmProfile } from '../harness/mesh/osm/profile.ts';\nexport const p = osmProfile;\n");
    assert.ok(messages.some((m) => m.startsWith('no-restricted-imports:') && m.includes('only a profile\'s own folder and the registries')), messages.join('\n'));
  });

  it('lets a profile name its own identifiers', async () => {
    const messages = await lint('harness/mesh/osm/lint-probe-profile.ts', "// the osm-controller Deployment\nexport const kind = 'IngressBackend';\n");
    assert.deepEqual(messages, []);
  });
});
