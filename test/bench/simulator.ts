import { readFileSync, writeFileSync } from 'node:fs';
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
  readonly ticksPerSecond: number;
  readonly yearOf100ClustersSeconds: number;
}

export function measureSimulator(svgPath: string | undefined): SimulatorFigures {
  const spec = ClusterSpecSchema.parse({ cluster: 'day', zones, observers: { min: 0, desired: 0, max: 8 }, load: { targets: { requestsPerSecond: 1000 }, scaleInStabilizationSeconds: 900 } });
  const trace = parseTrace(readFileSync(join(TRACES, 'diurnal-day.csv'), 'utf8'), 'diurnal-day.csv');
  const started = performance.now();
  const day = simulate({ spec, trace, serverCapacity: 1300, failureRate: 0.0005, seed: 42 });
  const ticksPerSecond = Math.round(trace.length / ((performance.now() - started) / 1000));
  if (svgPath) writeFileSync(svgPath, renderRunSvg('A simulated day: diurnal read load (target 1,000 req/s per server), random server failures', day.samples));
  const flat = Array.from({ length: 240 }, () => 1000);
  const outage = (zonePolicy: 'spread' | 'pack'): number =>
    simulate({ spec: ClusterSpecSchema.parse({ cluster: zonePolicy, zones, zonePolicy }), trace: flat, serverCapacity: 5000, zoneOutage: { zone: 'a', fromMinute: 60, toMinute: 150 } }).quorumAvailability;
  const { samples: _samples, ...summary } = day;
  return { day: summary, outage: { spread: outage('spread'), pack: outage('pack') }, ticksPerSecond, yearOf100ClustersSeconds: Math.round((525_600 * 100) / ticksPerSecond) };
}
