import {
  CloudWatchClient,
  GetMetricDataCommand,
  PutMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { MetricsSink, TickMetrics } from '../../lib/ports/index.js';

// CloudWatch's semantics behind an SDK mock, for the AWS metrics adapters' contract and command
// tests and for the AWS test world: EMF documents (as Lambda would ship them from stdout) and
// PutMetricData (its limits checked: no `AWS/` namespace, 1,000 metrics, 30 dimensions, 150 values,
// timestamps from two weeks back to two hours ahead) become datapoints of the metric named by
// namespace, name and the exact set of dimensions; GetMetricData aggregates them per period with
// the start time rounded down to the minute (inclusive) and the end time exclusive, timestamps at
// the start of each period, in the order ScanBy asks (newest first by default).

interface Emf {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { readonly Name: string }[] }[];
  };
  readonly [key: string]: unknown;
}

const PUT_METRICS_MAX = 1000;
const DIMENSIONS_MAX = 30;
const VALUES_MAX = 150;
const PAST_MS = 14 * 24 * 3_600_000;
const FUTURE_MS = 2 * 3_600_000;

function invalid(message: string): Error {
  return Object.assign(new Error(message), { name: 'InvalidParameterValue', $metadata: {} });
}

const STATISTICS: Record<string, (values: number[]) => number> = {
  Maximum: (v) => Math.max(...v),
  Minimum: (v) => Math.min(...v),
  Sum: (v) => v.reduce((a, b) => a + b, 0),
  SampleCount: (v) => v.length,
  Average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
};

export class FakeCloudWatch {
  readonly client = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  readonly mock = mockClient(this.client);
  private readonly datapoints = new Map<string, { at: number; value: number }[]>();

  constructor() {
    this.mock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => this.getMetricData(input));
    this.mock.on(PutMetricDataCommand).callsFake((input: PutMetricDataCommandInput) => this.putMetricData(input));
  }

  /** The sink as Lambda runs it: whatever it writes to stdout reaches CloudWatch as EMF. */
  shipping(sink: MetricsSink): MetricsSink {
    return {
      publish: async (metrics: TickMetrics) => {
        const written: string[] = [];
        const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
        try {
          await sink.publish(metrics);
        } finally {
          spy.mockRestore();
        }
        for (const line of written.join('').split('\n').filter((l) => l.trim())) this.ingest(JSON.parse(line) as Emf);
      },
    };
  }

  private ingest(doc: Emf): void {
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        const dimensions = Object.fromEntries(dimensionSet.map((name) => [name, String(doc[name])]));
        for (const { Name } of directive.Metrics) {
          const raw = doc[Name];
          const values = Array.isArray(raw) ? raw : [raw];
          const key = metricKey(directive.Namespace, Name, dimensions);
          const points = this.datapoints.get(key) ?? [];
          for (const v of values) {
            if (typeof v !== 'number') throw new Error(`EMF document: metric ${Name} has no numeric value (got ${JSON.stringify(raw)})`);
            points.push({ at: doc._aws.Timestamp, value: v });
          }
          this.datapoints.set(key, points);
        }
      }
    }
  }

  private putMetricData(input: PutMetricDataCommandInput): Record<string, never> {
    const namespace = input.Namespace ?? '';
    if (namespace.startsWith('AWS/')) throw invalid(`The value ${namespace} for parameter Namespace is invalid: AWS/ is reserved`);
    const data = input.MetricData ?? [];
    if (data.length > PUT_METRICS_MAX) throw invalid(`MetricData: at most ${PUT_METRICS_MAX} metrics (got ${data.length})`);
    const now = Date.now();
    const points = data.map((d, i) => {
      const at = d.Timestamp?.getTime() ?? now;
      if (at < now - PAST_MS || at > now + FUTURE_MS) throw invalid(`MetricData.member.${i + 1}.Timestamp: must be within two weeks back and two hours ahead`);
      if ((d.Dimensions?.length ?? 0) > DIMENSIONS_MAX) throw invalid(`MetricData.member.${i + 1}.Dimensions: at most ${DIMENSIONS_MAX}`);
      if (d.StatisticValues) throw invalid(`MetricData.member.${i + 1}.StatisticValues: not modelled by the test world`);
      const values = d.Values ?? (d.Value !== undefined ? [d.Value] : []);
      if (values.length === 0 || values.length > VALUES_MAX) throw invalid(`MetricData.member.${i + 1}: needs Value or 1..${VALUES_MAX} Values`);
      // Counts repeat a value; a value without a count was seen once.
      const repeated = values.flatMap((v, k) => Array<number>(d.Counts?.[k] ?? 1).fill(v));
      return { key: metricKey(namespace, d.MetricName ?? '', Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name, x.Value]))), at, values: repeated };
    });
    for (const p of points) this.datapoints.set(p.key, [...(this.datapoints.get(p.key) ?? []), ...p.values.map((value) => ({ at: p.at, value }))]);
    return {};
  }

  private getMetricData(input: GetMetricDataCommandInput): { MetricDataResults: MetricDataResult[] } {
    const queries = input.MetricDataQueries ?? [];
    if (queries.length > 500) throw Object.assign(new Error('too many queries'), { name: 'ValidationError' });
    const start = Math.floor((input.StartTime as Date).getTime() / 60_000) * 60_000;
    const end = (input.EndTime as Date).getTime();
    return {
      MetricDataResults: queries.map((q) => {
        if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id ?? '')) throw Object.assign(new Error(`invalid Id ${q.Id}`), { name: 'ValidationError' });
        const stat = q.MetricStat;
        const statistic = STATISTICS[stat?.Stat ?? ''];
        if (!stat?.Metric || !statistic) throw Object.assign(new Error(`unsupported query ${q.Id}`), { name: 'ValidationError' });
        const periodMs = (stat.Period ?? 60) * 1000;
        const dimensions = Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
        const buckets = new Map<number, number[]>();
        for (const p of this.datapoints.get(metricKey(stat.Metric.Namespace ?? '', stat.Metric.MetricName ?? '', dimensions)) ?? []) {
          if (p.at < start || p.at >= end) continue;
          const bucket = Math.floor(p.at / periodMs) * periodMs;
          buckets.set(bucket, [...(buckets.get(bucket) ?? []), p.value]);
        }
        const times = [...buckets.keys()].sort((a, b) => (input.ScanBy === 'TimestampAscending' ? a - b : b - a));
        return { Id: q.Id, StatusCode: 'Complete', Timestamps: times.map((t) => new Date(t)), Values: times.map((t) => statistic(buckets.get(t) ?? [])) };
      }),
    };
  }
}

function metricKey(namespace: string, name: string, dimensions: Record<string, string | undefined>): string {
  const dims = Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([namespace, name, dims]);
}
