import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// CI runs the benchmarks' smoke version: every part once, briefly; figures printed, never asserted.

describe('npm run bench -- --smoke', () => {
  it('runs every benchmark once and prints the table', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/bench/run.ts', '--smoke'], { timeout: 240_000 });
    expect(stdout).toMatch(/^machine: /);
    for (const figure of ['core decisions/s', 'MTTR: kill -9 a voter', 'floor: JVM start', 'tick.zip size', 'tick cold import']) expect(stdout).toContain(figure);
    expect(stdout).toContain('SSM writes per steady hour: 0');
  }, 300_000);
});
