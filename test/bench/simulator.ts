import { readFileSync } from 'node:fs';
import { writePicture } from '../../lib/cli/simulate.js';
import { join } from 'node:path';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { parseTrace, renderRunSvg, simulate, type SimulationReport } from '../../lib/sim/index.js';

// The simulator's figures: a day of the shipped diurnal trace with failures (and its picture), a
// zone outage with spread and packed voters, and how fast the core steps simulated clusters.

const TRACES = join(import.meta.dirname, '..', '..', 'lib', 'sim', 'traces');
const zones = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];

export interface SimulatorFigures {
  readonly day: Omit<SimulationReport, 'samples'>;
  readonly outage: { readonly spread: number; readonly pack: number };
  /** 100 clusters x a year of one-minute ticks (fixed sizes, random failures healed). */
  readonly yearOf100Clusters: { readonly seconds: number; readonly failures: number; readonly quorumAvailability: number; readonly ticksStepped: number };
  /** One cluster-year of the diurnal trace with load-based observers (ids reused: report.serverIds). */
  readonly diurnalYear: Omit<SimulationReport, 'samples'>;
  /** 30 days of a flat load with failing servers whose replacements never boot for the first 14. */
  readonly neverBootingJoiner: Omit<SimulationReport, 'samples'>;
}

export function measureSimulator(svgPath: string | undefined, { clusters = 100, years = 1 } = {}): SimulatorFigures {
  const spec = ClusterSpecSchema.parse({ cluster: 'day', zones, observers: { min: 0, desired: 0, max: 8 }, load: { targets: { requestsPerSecond: 1000 }, scaleInStabilizationSeconds: 900 } });
  const trace = parseTrace(readFileSync(join(TRACES, 'diurnal-day.csv'), 'utf8'), 'diurnal-day.csv');
  const day = simulate({ spec, trace, serverCapacity: 1300, failureRate: 0.0005, seed: 42 });
  if (svgPath) writePicture(svgPath, renderRunSvg('A simulated day: diurnal read load (target 1,000 req/s per server), random server failures', day.samples));
  const flat = Array.from({ length: 240 }, () => 1000);
  const outage = (zonePolicy: 'spread' | 'pack'): number =>
    simulate({ spec: ClusterSpecSchema.parse({ cluster: zonePolicy, zones, zonePolicy }), trace: flat, serverCapacity: 5000, zoneOutage: { zone: 'a', fromMinute: 60, toMinute: 150 } }).quorumAvailability;

  const year = Array.from({ length: (years * 365 * 1440) | 0 }, (_, m) => trace[m % 1440] ?? 0);
  const fixed = ClusterSpecSchema.parse({ cluster: 'year', zones, observers: { min: 0, desired: 2, max: 8 } });
  const started = performance.now();
  const totals = { failures: 0, quorum: 0, stepped: 0 };
  for (let c = 0; c < clusters; c++) {
    const r = simulate({ spec: fixed, trace: year, serverCapacity: 3000, failureRate: 0.00002, seed: c + 1, keepSamples: false });
    totals.failures += r.failuresInjected;
    totals.quorum += r.quorumAvailability / clusters;
    totals.stepped += r.ticksStepped;
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const { samples: _y, ...diurnalYear } = simulate({ spec, trace: year, serverCapacity: 1300, failureRate: 0.00002, seed: 1, keepSamples: false });
  const flatMonth = Array.from({ length: 30 * 1440 }, () => 1000);
  const boots = (_id: number, tick: number): 'boots' | 'never' => (tick < 14 * 1440 ? 'never' : 'boots');
  const { samples: _j, ...neverBootingJoiner } = simulate({ spec: ClusterSpecSchema.parse({ cluster: 'joiner', zones }), trace: flatMonth, serverCapacity: 5000, failureRate: 0.00005, seed: 5, keepSamples: false, model: { launchTicks: 1, syncTicks: 1, boots } });
  const { samples: _d, ...summary } = day;
  return {
    day: summary,
    outage: { spread: outage('spread'), pack: outage('pack') },
    yearOf100Clusters: { seconds, failures: totals.failures, quorumAvailability: Math.round(totals.quorum * 1e4) / 1e4, ticksStepped: totals.stepped },
    diurnalYear,
    neverBootingJoiner,
  };
}
