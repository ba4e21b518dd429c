import { loadSample, type LoadSample, type Point, type ServerId } from '../../core/index.js';
import type { Log, MetricsSink, MetricsSource, TickMetrics } from '../../ports/index.js';

// Local mode's metrics: each tick's figures go to the structured log and are kept in memory for
// `status` and for the load window the policies read.

const KEEP_MS = 6 * 3_600_000;

export class MemoryMetrics implements MetricsSink, MetricsSource {
  private readonly history = new Map<string, TickMetrics[]>();

  constructor(private readonly log: Log) {}

  async publish(metrics: TickMetrics): Promise<void> {
    const kept = (this.history.get(metrics.cluster) ?? []).filter((m) => metrics.at - m.at < KEEP_MS);
    kept.push(metrics);
    this.history.set(metrics.cluster, kept);
    const { servers, ...ensemble } = metrics;
    this.log.debug('metrics', { ...ensemble, servers: servers.length });
  }

  last(cluster: string): TickMetrics | undefined {
    return this.history.get(cluster)?.at(-1);
  }

  async loadWindow(cluster: string, serverIds: readonly ServerId[], windowSeconds: number, now: number): Promise<LoadSample | undefined> {
    const window = (this.history.get(cluster) ?? []).filter((m) => m.at < now && now - m.at <= windowSeconds * 1000);
    const packets = new Map<ServerId, Point[]>();
    for (const id of serverIds) {
      packets.set(id, window.flatMap((m) => m.servers.filter((s) => s.serverId === id && s.packetsReceived !== undefined).map((s) => ({ at: m.at, value: s.packetsReceived ?? 0 }))));
    }
    const gauge = (figure: keyof TickMetrics['load']): Point[] => window.map((m) => ({ at: m.at, value: m.load[figure] }));
    return loadSample({ packets, connections: gauge('connections'), avgLatencyMs: gauge('avgLatencyMs'), outstandingRequests: gauge('outstandingRequests') });
  }
}
