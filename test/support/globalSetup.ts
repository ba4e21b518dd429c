import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { killProcessesUnder } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Every ZooKeeper server a test starts lives under this directory. */
    testRoot: string;
  }
}

/** One directory for the whole run; at the end, any JVM still running from it is killed. */
export default function setup(project: TestProject): () => Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'zk-autoscaler-test-'));
  project.provide('testRoot', root);
  return async () => {
    const leftovers = killProcessesUnder(root);
    rmSync(root, { recursive: true, force: true });
    if (leftovers.length > 0) throw new Error(`tests left ${leftovers.length} ZooKeeper process(es) running: pids ${leftovers.join(', ')}`);
  };
}
