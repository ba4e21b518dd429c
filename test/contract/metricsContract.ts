import { describe, expect, it } from 'vitest';
import type { ServerId } from '../../lib/core/index.js';
import type { MetricsSink, MetricsSource, TickMetrics } from '../../lib/ports/index.js';

// The MetricsSink + MetricsSource contract: what ticks publish is read back as the same load window,
// in memory (local mode) and through EMF and CloudWatch (AWS).

export interface MetricsPorts {
  readonly sink: MetricsSink;
  readonly source: MetricsSource;
}

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
/** A tick k minutes after T0, a few seconds into its minute as a scheduled tick is. */
const minute = (k: number): number => T0 + k * 60_000 + 4_000;

function tick(cluster: string, at: number, packets: Record<ServerId, number | undefined>, connections = 100): TickMetrics {
  return {
    cluster,
    at,
    voters: 3,
    votersSynced: 3,
    observers: 0,
    quorumMargin: 1,
    operationInFlight: false,
    failedMembers: 0,
    observerShortfall: 0,
    spares: 0,
    sparesReady: 0,
    launchFailures: 0,
    load: { connections, avgLatencyMs: connections / 50, outstandingRequests: connections / 100 },
    servers: Object.entries(packets).map(([id, packetsReceived]) => ({
      serverId: Number(id),
      healthy: packetsReceived !== undefined,
      role: packetsReceived !== undefined ? 'follower' : 'no-answer',
      avgLatencyMs: 1,
      outstandingRequests: 0,
      connections: 10,
      packetsReceived,
      zxid: '',
    })),
  };
}

export function metricsContract(name: string, open: () => MetricsPorts): void {
  describe(`MetricsSink + MetricsSource contract: ${name}`, () => {
    it('reads back the request rate from every server counter and the mean of the gauges over the window', async () => {
      const { sink, source } = open();
      for (const k of [0, 1, 2, 3]) {
        // 10 + 20 + 30 requests/s; connections 100, 120, 140, 160
        await sink.publish(tick('orders', minute(k), { 1: 1000 + 600 * k, 2: 5000 + 1200 * k, 3: 1800 * k }, 100 + 20 * k));
      }
      const sample = await source.loadWindow('orders', [1, 2, 3], 300, minute(3) + 30_000);
      expect(sample).toEqual({ windowSeconds: 180, requestsPerSecond: 60, connections: 130, avgLatencyMs: 2.6, outstandingRequests: 1.3 });
    });

    it('counts a server that joins, restarts, misses a probe or is not asked for without a jump in the rate', async () => {
      const { sink, source } = open();
      await sink.publish(tick('orders', minute(0), { 1: 0, 2: 1000, 3: 90_000, 9: 0 }));
      await sink.publish(tick('orders', minute(1), { 1: 600, 2: undefined, 3: 90_600, 9: 1_000_000 }));
      // server 3 restarted: counting from zero again; server 4 joins with a counter of its own
      await sink.publish(tick('orders', minute(2), { 1: 1200, 2: 2200, 3: 300, 4: 70_000, 9: 2_000_000 }));
      await sink.publish(tick('orders', minute(3), { 1: 1800, 2: 2800, 3: 900, 4: 70_600, 9: 3_000_000 }));
      const sample = await source.loadWindow('orders', [1, 2, 3, 4], 300, minute(3) + 30_000);
      // 1: 1800; 2: 1200 + 600; 3: 600 + 300 + 600; 4: 600, over 180 s
      expect(sample?.requestsPerSecond).toBeCloseTo((1800 + 1800 + 1500 + 600) / 180, 9);
    });

    it('keeps clusters apart and leaves out ticks from before the window', async () => {
      const { sink, source } = open();
      await sink.publish(tick('orders', minute(0), { 1: 0 }));
      await sink.publish(tick('orders', minute(20), { 1: 1_000_000 }));
      await sink.publish(tick('orders', minute(21), { 1: 1_000_600 }));
      await sink.publish(tick('orders', minute(22), { 1: 1_001_200 }));
      await sink.publish(tick('payments', minute(21), { 1: 9_000_000 }, 5000));
      const sample = await source.loadWindow('orders', [1], 180, minute(22) + 30_000);
      expect(sample).toMatchObject({ windowSeconds: 120, requestsPerSecond: 10, connections: 100 });
    });

    it('gives no window without two moments to take a rate between', async () => {
      const { sink, source } = open();
      expect(await source.loadWindow('orders', [1], 300, minute(5))).toBeUndefined();
      await sink.publish(tick('orders', minute(0), { 1: 500 }));
      expect(await source.loadWindow('orders', [1], 300, minute(1))).toBeUndefined();
      await sink.publish(tick('orders', minute(1), { 1: undefined }));
      expect(await source.loadWindow('orders', [1], 300, minute(2))).toBeUndefined();
    });
  });
}
