import { readFileSync } from 'node:fs';
import { writePicture } from '../../lib/cli/simulate.js';
import { join } from 'node:path';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { AWS_TIMINGS, minuteModel, mttrOver, parseTrace, renderRunSvg, simulate, type AwsTimings, type FailureKind, type ModelOptions, type MttrSummary, type SimulationReport } from '../../lib/sim/index.js';

// The simulator's figures: a day of the shipped diurnal trace with failures (and its picture), a
// zone outage with spread and packed voters, how fast the core steps simulated clusters, and what
// one hot spare buys on AWS: a year of clusters without and with one, and the modelled MTTR.

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
  /** Without and with one hot spare on AWS (issue 14). */
  readonly hotSpares: HotSpareFigures;
}

/** A fleet-year's totals over its clusters. */
export interface FleetYear {
  readonly minutesVoterMissing: number;
  /** The same over the clusters that kept their quorum all year (one that lost it stays a voter short until an operator acts). */
  readonly minutesVoterMissingQuorumKept: number;
  readonly serverMinutes: number;
  readonly failures: number;
  readonly voterFailures: number;
  readonly notices: number;
  /** Instances taken at their notice's deadline while still voters: replaced too late. */
  readonly noticesTakenInConfig: number;
  readonly launches: number;
  readonly spareSwaps: number;
  readonly quorumAvailability: number;
  /** Clusters that lost the quorum at some minute (two voters down at once; the core then waits for an operator). */
  readonly clustersLosingQuorum: number;
}

type MttrCase = 'terminated' | 'hung' | 'notice';

export interface HotSpareFigures {
  readonly timings: AwsTimings;
  /** The minute simulator's fleet for those timings. */
  readonly minuteModel: ModelOptions;
  readonly clusters: number;
  readonly failureRate: number;
  readonly noticeRate: number;
  /** Each failure kind's year, without and with one spare. */
  readonly year: Readonly<Record<'ec2Knows' | 'hung', { readonly none: FleetYear; readonly one: FleetYear }>>;
  /** Modelled seconds a voter is missing after one failure (a kill: the MTTR), over the schedule's minute and each voter. */
  readonly mttr: Readonly<Record<MttrCase, { readonly none: MttrSummary; readonly one: MttrSummary }>>;
  /** The same runs' seconds, one value a run (for the table's min, median and max). */
  readonly mttrSeconds: Readonly<Record<MttrCase, { readonly none: readonly number[]; readonly one: readonly number[] }>>;
  /** Wall time of the year runs and the MTTR model. */
  readonly seconds: number;
}

/** Both EC2-known failures (terminated: an event) and hung servers, 0.002 %/server-minute as the
 * year above; Spot-style notices (2 min ahead) at half that. */
const SPARE_FAILURE_RATE = 0.00002;
const SPARE_NOTICE_RATE = 0.00001;

export function measureHotSpares({ clusters = 100, years = 1 } = {}): HotSpareFigures {
  const started = performance.now();
  const model = minuteModel(AWS_TIMINGS);
  const flat = new Array<number>((years * 365 * 1440) | 0).fill(1000);
  const fleetYear = (hotSpares: number, failureKind: FailureKind): FleetYear => {
    const spec = ClusterSpecSchema.parse({ cluster: `spares-${hotSpares}`, zones, hotSpares });
    const t = { minutesVoterMissing: 0, minutesVoterMissingQuorumKept: 0, serverMinutes: 0, failures: 0, voterFailures: 0, notices: 0, noticesTakenInConfig: 0, launches: 0, spareSwaps: 0, quorumAvailability: 0, clustersLosingQuorum: 0 };
    for (let c = 0; c < clusters; c++) {
      const r = simulate({ spec, trace: flat, serverCapacity: 5000, failureRate: SPARE_FAILURE_RATE, failureKind, notices: { rate: SPARE_NOTICE_RATE }, seed: c + 1, keepSamples: false, model });
      t.minutesVoterMissing += r.minutesVoterMissing;
      t.serverMinutes += r.serverMinutes;
      t.failures += r.failuresInjected;
      t.voterFailures += r.voterFailures;
      t.notices += r.notices.given;
      t.noticesTakenInConfig += r.notices.takenInConfig;
      t.launches += r.actions.launches;
      t.spareSwaps += r.hotSpares.swaps;
      t.quorumAvailability += r.quorumAvailability / clusters;
      if (r.quorumAvailability < 1) t.clustersLosingQuorum++;
      else t.minutesVoterMissingQuorumKept += r.minutesVoterMissing;
    }
    return { ...t, quorumAvailability: Math.round(t.quorumAvailability * 1e6) / 1e6 };
  };
  const pair = <T>(f: (hotSpares: number) => T): { none: T; one: T } => ({ none: f(0), one: f(1) });
  const runs = (failure: MttrCase): { none: ReturnType<typeof mttrOver>; one: ReturnType<typeof mttrOver> } =>
    pair((hotSpares) => mttrOver({ spec: ClusterSpecSchema.parse({ cluster: `mttr-${hotSpares}`, zones, hotSpares }), timings: AWS_TIMINGS, failure }));
  const cases = { terminated: runs('terminated'), hung: runs('hung'), notice: runs('notice') };
  const each = <T>(f: (r: ReturnType<typeof mttrOver>) => T): Record<MttrCase, { none: T; one: T }> => {
    const both = (c: MttrCase): { none: T; one: T } => ({ none: f(cases[c].none), one: f(cases[c].one) });
    return { terminated: both('terminated'), hung: both('hung'), notice: both('notice') };
  };
  return {
    timings: AWS_TIMINGS,
    minuteModel: model,
    clusters,
    failureRate: SPARE_FAILURE_RATE,
    noticeRate: SPARE_NOTICE_RATE,
    year: { ec2Knows: pair((n) => fleetYear(n, 'terminated')), hung: pair((n) => fleetYear(n, 'hung')) },
    mttr: each((r) => r.summary),
    mttrSeconds: each((r) => r.results.map((x) => x.voterMissingMs / 1000)),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
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
    hotSpares: measureHotSpares({ clusters, years }),
  };
}
