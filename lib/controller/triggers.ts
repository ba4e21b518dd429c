import { alarmHint, type TickEvent } from '../config/events.js';
import { clipText, TEXT_BYTES } from '../core/index.js';
import { runTick, type Deps, type TickResult, type Trigger } from './tick.js';

// What the tick function does with an event: a schedule or an alarm only wakes the tick, which
// decides from what it observes. An alarm in ALARM that names a cluster and server also files a
// failure report, which probes must corroborate before anything is replaced; an alarm naming a
// cluster this deployment does not manage writes nothing.

export function triggerOf(event: TickEvent): Trigger {
  const hint = alarmHint(event);
  return hint ? { kind: 'alarm', alarm: hint.alarm } : { kind: 'schedule' };
}

export async function handleTickEvent(deps: Deps, event: TickEvent, now: number): Promise<TickResult[]> {
  const hint = alarmHint(event);
  const clusters = await deps.store.listClusters();
  if (hint?.state === 'ALARM' && hint.cluster !== undefined && hint.serverId !== undefined) {
    if (clusters.includes(hint.cluster)) {
      const reason = clipText(`${hint.alarm}: ${hint.reason}`, TEXT_BYTES.reason);
      await deps.store.addRequest(hint.cluster, { id: `alarm-${hint.serverId}-${now}`, kind: 'report', serverId: hint.serverId, reason, at: now });
      deps.log.warn('alarm names a server: failure report filed', { cluster: hint.cluster, serverId: hint.serverId, alarm: hint.alarm });
    } else {
      deps.log.warn(`alarm ${hint.alarm} names cluster ${hint.cluster}, which has no spec here: no report filed`, { cluster: hint.cluster, serverId: hint.serverId, alarm: hint.alarm });
    }
  }
  return runTick(deps, triggerOf(event), {}, clusters);
}

/** A tick's results as plain JSON (config versions in hex), for a Lambda response. */
export function tickSummary(results: readonly TickResult[]): Record<string, unknown>[] {
  return results.map((r) => ({
    cluster: r.cluster,
    tickId: r.tickId,
    outcome: r.outcome,
    why: r.why,
    step: r.step?.kind,
    reports: r.reports.length,
    ...(r.error ? { error: { name: r.error.name, kind: r.error.kind, message: r.error.message } } : {}),
    durationMs: r.durationMs,
  }));
}
