import { alarmHint, type TickEvent } from '../config/events.js';
import { runTick, type Deps, type TickResult, type Trigger } from './tick.js';

// What the tick function does with an event: a schedule or an alarm only wakes the tick, which
// decides from what it observes. An alarm in ALARM that names a cluster and server also files a
// failure report, which probes must corroborate before anything is replaced.

export function triggerOf(event: TickEvent): Trigger {
  const hint = alarmHint(event);
  return hint ? { kind: 'alarm', alarm: hint.alarm } : { kind: 'schedule' };
}

export async function handleTickEvent(deps: Deps, event: TickEvent, now: number): Promise<TickResult[]> {
  const hint = alarmHint(event);
  if (hint?.state === 'ALARM' && hint.cluster !== undefined && hint.serverId !== undefined) {
    const reason = `alarm ${hint.alarm}: ${hint.reason}`.slice(0, 200);
    await deps.store.addRequest(hint.cluster, { id: `alarm-${hint.serverId}-${now}`, kind: 'report', serverId: hint.serverId, reason, at: now });
    deps.log.warn('alarm names a server: failure report filed', { cluster: hint.cluster, serverId: hint.serverId, alarm: hint.alarm });
  }
  return runTick(deps, triggerOf(event));
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
