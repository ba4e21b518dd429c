import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { jsonLog, processFleetFor, type ProcessFleet } from '../../lib/adapters/local/index.js';
import { createLocalCluster } from '../../lib/cli/create.js';
import { ClusterSpecSchema, type ClusterSpec } from '../../lib/config/index.js';
import { tickCluster, type TickResult } from '../../lib/controller/index.js';
import { voterIds, type EnsembleConfig } from '../../lib/core/index.js';
import { buildLocalDeps, type LocalDeps } from '../../lib/wiring/index.js';
import { freeAddressPrefix } from './addresses.js';
import { trackDir } from './ensemble.js';
import { processesUnder } from './processes.js';
import { waitFor } from './wait.js';

// A local-mode cluster for end-to-end tests: the real controller tick, files and processes, in a
// directory of its own; every process under it is killed when the test file ends.

export interface TestCluster {
  readonly home: string;
  readonly cluster: string;
  readonly deps: LocalDeps;
  readonly spec: ClusterSpec;
  readonly processes: ProcessFleet;
  readonly logLines: string[];
  tick(deps?: LocalDeps): Promise<TickResult>;
  /** Ticks (every `intervalMs`) until `done` holds for a tick's result; returns the results. */
  tickUntil(what: string, done: (r: TickResult) => boolean, options: { timeoutMs: number; intervalMs?: number }): Promise<TickResult[]>;
  config(): Promise<EnsembleConfig>;
  setSpec(change: (spec: ClusterSpec) => unknown): Promise<void>;
  liveProcesses(): number[];
}

export async function startLocalCluster(overrides: Record<string, unknown> = {}): Promise<TestCluster> {
  const home = mkdtempSync(join(inject('testRoot'), 'local-'));
  trackDir(home);
  const logLines: string[] = [];
  const deps = buildLocalDeps({ home, log: jsonLog((line) => logLines.push(line), 'info'), holder: 'test-a' });
  const spec = ClusterSpecSchema.parse({ cluster: 'e2e', zookeeper: { heapMb: 128, preAllocSizeKb: 4096 }, ...overrides });
  await createLocalCluster(deps, spec, { addressPrefix: await freeAddressPrefix(spec.zookeeper.clientPort) });
  const processes = processFleetFor(deps.store, spec.cluster, spec);
  const t: TestCluster = {
    home,
    cluster: spec.cluster,
    deps,
    spec,
    processes,
    logLines,
    tick: (other) => tickCluster(other ?? deps, spec.cluster, { kind: 'schedule' }),
    async tickUntil(what, done, { timeoutMs, intervalMs = 200 }) {
      const results: TickResult[] = [];
      await waitFor(
        what,
        async () => {
          const r = await t.tick();
          results.push(r);
          return done(r) ? true : undefined;
        },
        { timeoutMs, intervalMs },
      );
      return results;
    },
    async config() {
      const r = await tickCluster(deps, spec.cluster, { kind: 'manual', command: 'check' }, { dryRun: true });
      if (!r.observation?.config.readable) throw new Error(`config unreadable: ${r.why}`);
      return r.observation.config.config;
    },
    async setSpec(change) {
      const current = await deps.store.readSpec(spec.cluster);
      await deps.store.writeSpec(spec.cluster, ClusterSpecSchema.parse(change(current)));
    },
    liveProcesses: () => processesUnder(home),
  };
  await t.tickUntil('the new cluster to serve', (r) => r.outcome === 'steady', { timeoutMs: 20_000 });
  return t;
}

/** True when the tick saw `voters` voters, all synced, and no operation in flight. */
export function atRest(r: TickResult, voters: number): boolean {
  const config = r.observation?.config.readable ? r.observation.config.config : undefined;
  return r.outcome === 'steady' && config !== undefined && voterIds(config.members).size === voters;
}
