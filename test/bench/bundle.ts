import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The Lambda artifacts: `serverless package` offline, then each function's zip size and its cold
// import time (a fresh Node process requiring the bundle, clients created at module scope included).

export interface BundleFigures {
  readonly zipBytes: Record<string, number>;
  readonly coldImportMs: Record<string, number[]>;
}

export async function measureBundles(imports: number): Promise<BundleFigures> {
  const out = mkdtempSync(join(tmpdir(), 'zka-package-'));
  try {
    // The two parameters a deploy must name (no wildcard template or role): any well-formed value packages.
    const required = ['--param=launchTemplateId=lt-0abc1234567890def', '--param=instanceRoleArn=arn:aws:iam::123456789012:role/zk-server'];
    // TMPDIR: serverless-esbuild leaves a zip folder per function there (its cleanup is not recursive).
    await promisify(execFile)('npx', ['serverless', 'package', '--stage', 'bench', '--package', out, ...required], { timeout: 180_000, env: { ...process.env, TMPDIR: out } });
    const zipBytes: Record<string, number> = {};
    const coldImportMs: Record<string, number[]> = {};
    for (const fn of ['tick', 'manual']) {
      const zip = join(out, `${fn}.zip`);
      zipBytes[fn] = statSync(zip).size;
      const dir = join(out, fn);
      execFileSync('unzip', ['-q', '-o', zip, '-d', dir]);
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(join(dir, 'functions', `${fn}.cjs`))});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
      coldImportMs[fn] = Array.from({ length: imports }, () =>
        Math.round(Number(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, AWS_REGION: 'eu-west-1', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' }, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim())),
      );
    }
    return { zipBytes, coldImportMs };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
