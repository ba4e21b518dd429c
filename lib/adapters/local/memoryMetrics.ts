import type { LoadSample } from '../../core/index.js';
import type { Log, MetricsSink, MetricsSource, TickMetrics } from '../../ports/index.js';

// Local mode's metrics: each tick's figures go to the structured log and are kept in memory for
// `status` and for the load window the policies read (request rates from packet counter deltas).

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

  async loadWindow(cluster: string, windowSeconds: number, now: number): Promise<LoadSample | undefined> {
    const window = (this.history.get(cluster) ?? []).filter((m) => now - m.at <= windowSeconds * 1000);
    const first = window[0];
    const last = window.at(-1);
    if (!first || !last || last.at === first.at) return undefined;
    const received = (m: TickMetrics): number => m.servers.reduce((sum, s) => sum + s.packetsReceived, 0);
    // Packet counters restart with a server: a negative delta means a restart, not negative load.
    const requests = Math.max(0, received(last) - received(first));
    const healthy = last.servers.filter((s) => s.healthy);
    return {
      windowSeconds: Math.round((last.at - first.at) / 1000),
      requestsPerSecond: requests / ((last.at - first.at) / 1000),
      connections: healthy.reduce((sum, s) => sum + s.connections, 0),
      avgLatencyMs: healthy.length ? healthy.reduce((sum, s) => sum + s.avgLatencyMs, 0) / healthy.length : 0,
      outstandingRequests: healthy.reduce((sum, s) => sum + s.outstandingRequests, 0),
    };
  }
}
