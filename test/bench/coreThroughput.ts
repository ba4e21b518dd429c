import { think, type Observation } from '../../lib/core/index.js';
import { observe, stateFor, T0, testSpec } from '../support/world.js';

// Decisions per second of the whole core (detect + decide + plan) on a 7-voter, 10-observer
// cluster with read load tracking on, one member failing: the work of one tick, without I/O.

export interface Throughput {
  readonly runs: number[];
}

export function measureCoreThroughput({ runs = 5, msPerRun = 1000 } = {}): Throughput {
  const spec = testSpec({
    voters: { min: 3, desired: 7, max: 7 },
    observers: { min: 0, desired: 10, max: 16 },
    load: { targets: { requestsPerSecond: 1000, avgLatencyMs: 20 } },
  });
  const voters = [1, 2, 3, 4, 5, 6, 7];
  const observers = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const observed: Observation = {
    ...observe(spec, { voters, observers, down: [5] }),
    load: { windowSeconds: 180, requestsPerSecond: 15_000, connections: 1700, avgLatencyMs: 4, outstandingRequests: 3 },
  };
  const state = stateFor(spec, observed, { health: [{ serverId: 5, misses: 1, missingSince: T0 - 60_000, slowTicks: 0 }] });
  const results: number[] = [];
  for (let run = 0; run < runs; run++) {
    let decisions = 0;
    const started = performance.now();
    while (performance.now() - started < msPerRun) {
      for (let i = 0; i < 100; i++) think(spec, state, observed, T0 + decisions++);
    }
    results.push(Math.round((decisions * 1000) / (performance.now() - started)));
  }
  return { runs: results };
}
