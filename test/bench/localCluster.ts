import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalCluster, jsonLog, processFleetFor, type ProcessFleet } from '../../lib/adapters/local/index.js';
import { ClusterSpecSchema, type ClusterSpec } from '../../lib/config/index.js';
import { tickCluster, type TickResult } from '../../lib/controller/index.js';
import { buildLocalDeps, type LocalDeps } from '../../lib/wiring/index.js';

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
  await createLocalCluster(deps.store, spec, { addressPrefix: await freePrefix() }, Date.now());
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

export async function freePrefix(): Promise<string> {
  for (let octet = 100 + (process.pid % 100); ; octet = octet >= 250 ? 100 : octet + 1) {
    const busy = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.setTimeout(300);
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('timeout', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
      s.connect({ host: `127.${octet}.7.1`, port: 2181 });
    });
    if (!busy) return `127.${octet}.7`;
  }
}
