import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloudWatchLoadSource, EmfMetricsSink } from '../../../lib/adapters/aws/index.js';
import type { TickMetrics } from '../../../lib/ports/index.js';

// Metrics on AWS: EMF documents on stdout (no API call), and one GetMetricData call for the load window.

const tick: TickMetrics = {
  cluster: 'orders',
  at: 0,
  voters: 3,
  votersSynced: 2,
  observers: 1,
  quorumMargin: 0,
  operationInFlight: true,
  failedMembers: 1,
  observerShortfall: 2,
  spares: 1,
  sparesReady: 0,
  launchFailures: 1,
  load: { connections: 40, avgLatencyMs: 2, outstandingRequests: 1 },
  servers: [
    { serverId: 1, healthy: true, role: 'leader', avgLatencyMs: 2, outstandingRequests: 1, connections: 40, packetsReceived: 9000, zxid: '100000010' },
    { serverId: 2, healthy: false, role: 'no-answer', avgLatencyMs: 0, outstandingRequests: 0, connections: 0, packetsReceived: undefined, zxid: '' },
  ],
};

afterEach(() => vi.restoreAllMocks());

describe('EmfMetricsSink', () => {
  it('publishes one EMF document per cluster, one per server and one fleet-wide for the alarms, without an API call', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    await new EmfMetricsSink('ZkAutoscaler').publish(tick);
    vi.restoreAllMocks();
    const docs = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } });
    expect(docs.map((d) => d._aws.CloudWatchMetrics[0]?.Dimensions[0])).toEqual([['service', 'cluster'], ['service'], ['service', 'cluster', 'serverId'], ['service', 'cluster', 'serverId']]);
    expect(docs[0]).toMatchObject({ cluster: 'orders', Voters: 3, VotersSynced: 2, QuorumMargin: 0, FailedMembers: 1, ObserverShortfall: 2, HotSpares: 1, HotSparesReady: 0, Connections: 40 });
    expect(docs[1]).toMatchObject({ QuorumMargin: 0, FailedMembers: 1, ObserverShortfall: 2 });
    expect(docs[1]).not.toHaveProperty('cluster');
    expect(docs[2]).toMatchObject({ serverId: '1', ServerHealthy: 1, ServerPacketsReceived: 9000 });
    expect(docs[3]).toMatchObject({ serverId: '2', ServerHealthy: 0 });
    // A server that did not answer has no counter: a 0 would read as a restart.
    expect(docs[3]).not.toHaveProperty('ServerPacketsReceived');
    // Stamped with the tick's time, not the moment the document is written.
    expect(docs.map((d) => (d._aws as unknown as { Timestamp: number }).Timestamp)).toEqual([tick.at, tick.at, tick.at, tick.at]);
  });
});

describe('CloudWatchLoadSource', () => {
  it('reads the load window in one GetMetricData call: a counter per server, the ensemble gauges', async () => {
    const client = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const mock = mockClient(client);
    const t0 = Date.UTC(2026, 10, 24, 12, 0, 0);
    const at = (minutes: number): Date => new Date(t0 + minutes * 60_000);
    mock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'packets_1', Timestamps: [at(3), at(2), at(1), at(0)], Values: [181_000, 121_000, 61_000, 1000] },
        { Id: 'packets_4', Timestamps: [at(0), at(3)], Values: [0, 18_000] },
        { Id: 'connections', Timestamps: [at(0), at(3)], Values: [100, 140] },
        { Id: 'latency', Timestamps: [at(0), at(3)], Values: [2, 4] },
        { Id: 'outstanding', Timestamps: [at(0)], Values: [3] },
      ],
    });
    const sample = await new CloudWatchLoadSource(client).loadWindow('orders', [1, 4], 180, t0 + 3 * 60_000 + 30_000);
    expect(sample).toEqual({ windowSeconds: 180, requestsPerSecond: 1100, connections: 120, avgLatencyMs: 3, outstandingRequests: 3 });
    expect(mock.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    const input = mock.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat])).toEqual([
      ['connections', 'Connections', 'Average'],
      ['latency', 'AvgLatency', 'Average'],
      ['outstanding', 'OutstandingRequests', 'Average'],
      ['packets_1', 'ServerPacketsReceived', 'Maximum'],
      ['packets_4', 'ServerPacketsReceived', 'Maximum'],
    ]);
    expect(input?.MetricDataQueries?.[3]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'cluster', Value: 'orders' },
      { Name: 'serverId', Value: '1' },
      { Name: 'service', Value: 'zk-autoscaler' },
    ]);
  });
});
