import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

// The import rules `npm test` checks (.dependency-cruiser.cjs), run by dependency-cruiser on a small
// tree shaped like ours: the layers it allows pass, and a core or controller file that imports an
// adapter fails the check, naming the rule and the import. (`npm run imports` checks the real tree.)

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(inject('testRoot'), 'imports-'));
  copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function check(dir: string): Promise<{ exitCode: number; output: string }> {
  const args = ['--config', join(ROOT, '.dependency-cruiser.cjs'), 'lib'];
  try {
    const { stdout } = await run(join(ROOT, 'node_modules', '.bin', 'depcruise'), args, { cwd: dir });
    return { exitCode: 0, output: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { exitCode: e.code, output: e.stdout };
  }
}

const layers = {
  'lib/errors.ts': 'export class ControllerError extends Error {}\n',
  'lib/config/spec.ts': "export interface ClusterSpec { cluster: string }\n",
  'lib/core/quorum.ts': "import type { ClusterSpec } from '../config/spec.js';\nimport { ControllerError } from '../errors.js';\nexport const named = (s: ClusterSpec): string => { if (!s.cluster) throw new ControllerError(); return s.cluster; };\n",
  'lib/ports/index.ts': "import type { ClusterSpec } from '../config/spec.js';\nexport interface StateStore { readSpec(cluster: string): Promise<ClusterSpec> }\n",
  'lib/adapters/aws/ssmStateStore.ts': "import type { StateStore } from '../../ports/index.js';\nimport { named } from '../../core/quorum.js';\nexport class SsmStateStore implements StateStore { async readSpec(cluster: string) { return { cluster: named({ cluster }) }; } }\n",
  'lib/controller/tick.ts': "import type { StateStore } from '../ports/index.js';\nimport { named } from '../core/quorum.js';\nexport const tick = async (store: StateStore) => named(await store.readSpec('orders'));\n",
  'lib/wiring/aws.ts': "import { SsmStateStore } from '../adapters/aws/ssmStateStore.js';\nimport { tick } from '../controller/tick.js';\nexport const run = () => tick(new SsmStateStore());\n",
};

describe('the import rules', () => {
  it('pass a tree whose layers import only what docs/style.md allows', async () => {
    const result = await check(tree(layers));
    expect(result.output).toContain('no dependency violations found');
    expect(result.exitCode).toBe(0);
  });

  it('fail when a core file imports an adapter, or the controller does, naming the rule and the import', async () => {
    const result = await check(
      tree({
        ...layers,
        'lib/core/quorum.ts': `import { SsmStateStore } from '../adapters/aws/ssmStateStore.js';\n${layers['lib/core/quorum.ts']}export const store = new SsmStateStore();\n`,
        'lib/controller/tick.ts': `import { SsmStateStore } from '../adapters/aws/ssmStateStore.js';\n${layers['lib/controller/tick.ts']}export const store = new SsmStateStore();\n`,
      }),
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('error core-is-pure: lib/core/quorum.ts → lib/adapters/aws/ssmStateStore.ts');
    expect(result.output).toContain('error controller-never-an-adapter: lib/controller/tick.ts → lib/adapters/aws/ssmStateStore.ts');
  });

  it('fail when core takes a value, not a type, from config', async () => {
    const result = await check(tree({ ...layers, 'lib/core/quorum.ts': layers['lib/core/quorum.ts'].replace('import type', 'import') }));
    expect(result.output).toContain('error core-takes-config-types-only: lib/core/quorum.ts → lib/config/spec.ts');
  });
});
