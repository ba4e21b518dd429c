import type { ServerId } from './model.js';
import type { LoadSample } from './observation.js';

// The load policies' window, from what earlier ticks published: the request rate from each server's
// packet counter, and the mean of the ensemble's gauges. Local memory and CloudWatch feed the same
// function, so both sources agree on what a window means.

export interface Point {
  readonly at: number;
  readonly value: number;
}

export interface WindowSeries {
  /** Per server, its packet counter as published by the servers that answered, oldest first. */
  readonly packets: ReadonlyMap<ServerId, readonly Point[]>;
  readonly connections: readonly Point[];
  readonly avgLatencyMs: readonly Point[];
  readonly outstandingRequests: readonly Point[];
}

/** Undefined when the window holds fewer than two moments to take a rate between. */
export function loadSample(series: WindowSeries): LoadSample | undefined {
  const times = [...series.packets.values()].flat().map((p) => p.at);
  if (times.length === 0) return undefined;
  const spanMs = Math.max(...times) - Math.min(...times);
  if (spanMs <= 0) return undefined;
  let requests = 0;
  for (const points of series.packets.values()) {
    for (let i = 1; i < points.length; i++) {
      const [before, after] = [points[i - 1] as Point, points[i] as Point];
      // Per server, so a server joining, leaving or missing a probe is no jump in the sum; a
      // counter that went down was restarted with its server and has counted from zero since.
      requests += after.value >= before.value ? after.value - before.value : after.value;
    }
  }
  return {
    windowSeconds: Math.round(spanMs / 1000),
    requestsPerSecond: requests / (spanMs / 1000),
    connections: mean(series.connections),
    avgLatencyMs: mean(series.avgLatencyMs),
    outstandingRequests: mean(series.outstandingRequests),
  };
}

function mean(points: readonly Point[]): number {
  return points.length ? points.reduce((sum, p) => sum + p.value, 0) / points.length : 0;
}
