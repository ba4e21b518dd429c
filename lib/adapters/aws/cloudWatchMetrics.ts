import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LoadSample } from '../../core/index.js';
import type { MetricsSink, MetricsSource, TickMetrics } from '../../ports/index.js';
import { AwsCallError, DEFAULT_RETRY, errorCode, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';
import { ENSEMBLE_METRICS, NAMESPACE, SERVER_METRICS } from './metricNames.js';

// Metrics on AWS. Published as EMF log lines through Powertools (no API call, no VPC endpoint:
// Lambda ships its logs): one document per cluster and one per server each tick. Read back with
// one GetMetricData call for the load window the policies need.

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export class EmfMetricsSink implements MetricsSink {
  constructor(private readonly namespace = NAMESPACE) {}

  async publish(m: TickMetrics): Promise<void> {
    const ensemble = this.document({ cluster: m.cluster });
    const serving = m.servers.filter((s) => s.healthy);
    const add = (metrics: Metrics, def: { name: string; unit: string }, value: number): void => {
      metrics.addMetric(def.name, def.unit as Unit, value);
    };
    add(ensemble, ENSEMBLE_METRICS.voters, m.voters);
    add(ensemble, ENSEMBLE_METRICS.votersSynced, m.votersSynced);
    add(ensemble, ENSEMBLE_METRICS.observers, m.observers);
    add(ensemble, ENSEMBLE_METRICS.quorumMargin, m.quorumMargin);
    add(ensemble, ENSEMBLE_METRICS.failedMembers, m.failedMembers);
    add(ensemble, ENSEMBLE_METRICS.operationInFlight, m.operationInFlight ? 1 : 0);
    add(ensemble, ENSEMBLE_METRICS.observerShortfall, m.observerShortfall);
    add(ensemble, ENSEMBLE_METRICS.packetsReceived, serving.reduce((sum, s) => sum + s.packetsReceived, 0));
    add(ensemble, ENSEMBLE_METRICS.connections, serving.reduce((sum, s) => sum + s.connections, 0));
    add(ensemble, ENSEMBLE_METRICS.avgLatency, serving.length ? serving.reduce((sum, s) => sum + s.avgLatencyMs, 0) / serving.length : 0);
    add(ensemble, ENSEMBLE_METRICS.outstandingRequests, serving.reduce((sum, s) => sum + s.outstandingRequests, 0));
    ensemble.publishStoredMetrics();
    // The alarms' metrics again, across clusters: CloudFormation alarms cannot SEARCH.
    const fleetWide = this.document({});
    add(fleetWide, ENSEMBLE_METRICS.quorumMargin, m.quorumMargin);
    add(fleetWide, ENSEMBLE_METRICS.failedMembers, m.failedMembers);
    add(fleetWide, ENSEMBLE_METRICS.observerShortfall, m.observerShortfall);
    fleetWide.publishStoredMetrics();
    for (const s of m.servers) {
      const server = this.document({ cluster: m.cluster, serverId: String(s.serverId) });
      add(server, SERVER_METRICS.healthy, s.healthy ? 1 : 0);
      add(server, SERVER_METRICS.avgLatency, s.avgLatencyMs);
      add(server, SERVER_METRICS.outstandingRequests, s.outstandingRequests);
      add(server, SERVER_METRICS.connections, s.connections);
      add(server, SERVER_METRICS.packetsReceived, s.packetsReceived);
      server.publishStoredMetrics();
    }
  }

  private document(dimensions: Record<string, string>): Metrics {
    return new Metrics({ namespace: this.namespace, serviceName: 'zk-autoscaler', defaultDimensions: dimensions });
  }
}

export class CloudWatchLoadSource implements MetricsSource {
  constructor(
    private readonly cloudWatch: CloudWatchClient,
    private readonly namespace = NAMESPACE,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async loadWindow(cluster: string, windowSeconds: number, now: number): Promise<LoadSample | undefined> {
    const query = (id: string, name: string, stat: string) => ({
      Id: id,
      MetricStat: { Metric: { Namespace: this.namespace, MetricName: name, Dimensions: [{ Name: 'cluster', Value: cluster }, { Name: 'service', Value: 'zk-autoscaler' }] }, Period: 60, Stat: stat },
    });
    let out;
    try {
      out = await withThrottlingRetry(this.retry, () =>
        this.cloudWatch.send(
          new GetMetricDataCommand({
            StartTime: new Date(now - windowSeconds * 1000),
            EndTime: new Date(now),
            ScanBy: 'TimestampAscending',
            MetricDataQueries: [
              query('packets', ENSEMBLE_METRICS.packetsReceived.name, 'Maximum'),
              query('connections', ENSEMBLE_METRICS.connections.name, 'Average'),
              query('latency', ENSEMBLE_METRICS.avgLatency.name, 'Average'),
              query('outstanding', ENSEMBLE_METRICS.outstandingRequests.name, 'Average'),
            ],
          }),
        ),
      );
    } catch (err) {
      throw new AwsCallError('cloudwatch', 'GetMetricData', cluster, errorCode(err), { cause: err });
    }
    const series = (id: string): { t: number; v: number }[] => {
      const r = out.MetricDataResults?.find((x) => x.Id === id);
      return (r?.Timestamps ?? []).map((t, i) => ({ t: new Date(t).getTime(), v: r?.Values?.[i] ?? 0 })).sort((a, b) => a.t - b.t);
    };
    const packets = series('packets');
    const first = packets[0];
    const last = packets.at(-1);
    if (!first || !last || last.t === first.t) return undefined;
    const mean = (id: string): number => {
      const s = series(id);
      return s.length ? s.reduce((sum, p) => sum + p.v, 0) / s.length : 0;
    };
    return {
      windowSeconds: Math.round((last.t - first.t) / 1000),
      // Packet counters restart with a server: never a negative load.
      requestsPerSecond: Math.max(0, last.v - first.v) / ((last.t - first.t) / 1000),
      connections: mean('connections'),
      avgLatencyMs: mean('latency'),
      outstandingRequests: mean('outstanding'),
    };
  }
}
