import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLog, processFleetFor, type ProcessFleet } from '../../lib/adapters/local/index.js';
import { createLocalCluster } from '../../lib/cli/create.js';
import { ClusterSpecSchema, type ClusterSpec } from '../../lib/config/index.js';
import { tickCluster, type TickResult } from '../../lib/controller/index.js';
import { buildLocalDeps, type LocalDeps } from '../../lib/wiring/index.js';
import { freeAddressPrefix } from '../support/addresses.js';

// A local cluster for the benchmarks (outside vitest): created in a temporary home, removed after.

export interface BenchCluster {
  readonly deps: LocalDeps;
  readonly spec: ClusterSpec;
  readonly processes: ProcessFleet;
  tick(): Promise<TickResult>;
  close(): Promise<void>;
}

export async function benchCluster(overrides: Record<string, unknown> = {}): Promise<BenchCluster> {
  const home = mkdtempSync(join(tmpdir(), 'zka-bench-'));
  const deps = buildLocalDeps({ home, log: jsonLog(() => undefined), holder: 'bench' });
  const spec = ClusterSpecSchema.parse({ cluster: 'bench', zookeeper: { heapMb: 128, preAllocSizeKb: 4096 }, ...overrides });
  await createLocalCluster(deps, spec, { addressPrefix: await freeAddressPrefix(spec.zookeeper.clientPort, 7) });
  const processes = processFleetFor(deps.store, spec.cluster, spec);
  const cluster: BenchCluster = {
    deps,
    spec,
    processes,
    tick: () => tickCluster(deps, spec.cluster, { kind: 'schedule' }),
    async close() {
      await processes.stopAll('kill');
      rmSync(home, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < 200 && (await cluster.tick()).outcome !== 'steady'; i++) await new Promise((r) => setTimeout(r, 100));
  return cluster;
}
