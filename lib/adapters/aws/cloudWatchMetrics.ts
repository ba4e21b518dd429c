import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadSample, type LoadSample, type Point, type ServerId } from '../../core/index.js';
import type { MetricsSink, MetricsSource, TickMetrics } from '../../ports/index.js';
import { awsCallError, DEFAULT_RETRY, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';
import { ENSEMBLE_METRICS, NAMESPACE, SERVER_METRICS } from './metricNames.js';

// Metrics on AWS. Published as EMF log lines through Powertools (no API call, no VPC endpoint:
// Lambda ships its logs), stamped with the tick's time: one document per cluster and one per
// server each tick. Read back with one GetMetricData call for the load window the policies need.

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

const PERIOD_SECONDS = 60;

export class EmfMetricsSink implements MetricsSink {
  constructor(private readonly namespace = NAMESPACE) {}

  async publish(m: TickMetrics): Promise<void> {
    const add = (metrics: Metrics, def: { name: string; unit: string }, value: number): void => {
      metrics.addMetric(def.name, def.unit as Unit, value);
    };
    const ensemble = this.document(m.at, { cluster: m.cluster });
    add(ensemble, ENSEMBLE_METRICS.voters, m.voters);
    add(ensemble, ENSEMBLE_METRICS.votersSynced, m.votersSynced);
    add(ensemble, ENSEMBLE_METRICS.observers, m.observers);
    add(ensemble, ENSEMBLE_METRICS.quorumMargin, m.quorumMargin);
    add(ensemble, ENSEMBLE_METRICS.failedMembers, m.failedMembers);
    add(ensemble, ENSEMBLE_METRICS.operationInFlight, m.operationInFlight ? 1 : 0);
    add(ensemble, ENSEMBLE_METRICS.observerShortfall, m.observerShortfall);
    add(ensemble, ENSEMBLE_METRICS.launchFailures, m.launchFailures);
    add(ensemble, ENSEMBLE_METRICS.hotSpares, m.spares);
    add(ensemble, ENSEMBLE_METRICS.hotSparesReady, m.sparesReady);
    add(ensemble, ENSEMBLE_METRICS.connections, m.load.connections);
    add(ensemble, ENSEMBLE_METRICS.avgLatency, m.load.avgLatencyMs);
    add(ensemble, ENSEMBLE_METRICS.outstandingRequests, m.load.outstandingRequests);
    ensemble.publishStoredMetrics();
    // The alarms' metrics again, across clusters: CloudFormation alarms cannot SEARCH.
    const fleetWide = this.document(m.at, {});
    add(fleetWide, ENSEMBLE_METRICS.quorumMargin, m.quorumMargin);
    add(fleetWide, ENSEMBLE_METRICS.failedMembers, m.failedMembers);
    add(fleetWide, ENSEMBLE_METRICS.observerShortfall, m.observerShortfall);
    add(fleetWide, ENSEMBLE_METRICS.launchFailures, m.launchFailures);
    fleetWide.publishStoredMetrics();
    for (const s of m.servers) {
      const server = this.document(m.at, { cluster: m.cluster, serverId: String(s.serverId) });
      add(server, SERVER_METRICS.healthy, s.healthy ? 1 : 0);
      add(server, SERVER_METRICS.avgLatency, s.avgLatencyMs);
      add(server, SERVER_METRICS.outstandingRequests, s.outstandingRequests);
      add(server, SERVER_METRICS.connections, s.connections);
      if (s.packetsReceived !== undefined) add(server, SERVER_METRICS.packetsReceived, s.packetsReceived);
      server.publishStoredMetrics();
    }
  }

  private document(at: number, dimensions: Record<string, string>): Metrics {
    return new Metrics({ namespace: this.namespace, serviceName: 'zk-autoscaler', defaultDimensions: dimensions }).setTimestamp(at);
  }
}

export class CloudWatchLoadSource implements MetricsSource {
  constructor(
    private readonly cloudWatch: CloudWatchClient,
    private readonly namespace = NAMESPACE,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async loadWindow(cluster: string, serverIds: readonly ServerId[], windowSeconds: number, now: number): Promise<LoadSample | undefined> {
    const query = (id: string, name: string, stat: string, dimensions: Record<string, string>): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: this.namespace, MetricName: name, Dimensions: Object.entries({ ...dimensions, service: 'zk-autoscaler' }).map(([Name, Value]) => ({ Name, Value })) },
        Period: PERIOD_SECONDS,
        Stat: stat,
      },
    });
    const queries = [
      query('connections', ENSEMBLE_METRICS.connections.name, 'Average', { cluster }),
      query('latency', ENSEMBLE_METRICS.avgLatency.name, 'Average', { cluster }),
      query('outstanding', ENSEMBLE_METRICS.outstandingRequests.name, 'Average', { cluster }),
      // A counter's latest value in each minute.
      ...serverIds.map((id) => query(`packets_${id}`, SERVER_METRICS.packetsReceived.name, 'Maximum', { cluster, serverId: String(id) })),
    ];
    let out;
    try {
      out = await withThrottlingRetry(this.retry, () =>
        this.cloudWatch.send(new GetMetricDataCommand({ StartTime: new Date(now - windowSeconds * 1000), EndTime: new Date(now), ScanBy: 'TimestampAscending', MetricDataQueries: queries })),
      );
    } catch (err) {
      throw awsCallError('cloudwatch', 'GetMetricData', cluster, err);
    }
    const series = (id: string): Point[] => {
      const r = out.MetricDataResults?.find((x) => x.Id === id);
      return (r?.Timestamps ?? []).map((t, i) => ({ at: new Date(t).getTime(), value: r?.Values?.[i] ?? 0 })).sort((a, b) => a.at - b.at);
    };
    return loadSample({
      packets: new Map(serverIds.map((id) => [id, series(`packets_${id}`)])),
      connections: series('connections'),
      avgLatencyMs: series('latency'),
      outstandingRequests: series('outstanding'),
    });
  }
}
