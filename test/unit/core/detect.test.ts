import { describe, expect, it } from 'vitest';
import { detect, type Observation } from '../../../lib/core/index.js';
import type { ControllerState } from '../../../lib/config/index.js';
import { instance, notServing, observe, serving, stateFor, T0, testSpec } from '../../support/world.js';

// Failure detection: k misses suspect, n failed; at once when the instance is gone; slow against the
// median for w ticks; reports corroborated by probes; leader changes counted.

const spec = testSpec(); // k = 2, n = 3, slow x5 for 5 ticks

function run(observations: Observation[], start: ControllerState, stepMs = 60_000): ReturnType<typeof detect>[] {
  let state = start;
  return observations.map((observed, i) => {
    const d = detect(spec, state, observed, T0 + i * stepMs);
    state = { ...state, health: d.health, leader: d.leader, reports: d.pendingReports };
    return d;
  });
}

describe('detect', () => {
  it('calls a member suspect after k consecutive misses and failed after n, with the evidence and when it began', () => {
    const missing = observe(spec, { down: [2] });
    const results = run([missing, missing, missing], stateFor(spec, missing));
    expect(results.map((r) => r.verdicts.get(2)?.status)).toEqual(['suspect', 'suspect', 'failed']);
    expect(results[2]?.verdicts.get(2)).toEqual({
      serverId: 2,
      status: 'failed',
      reason: 'missed-probes',
      evidence: 'missed 3 probes in a row over 120 s (failed at 3 and 15 s); last: no answer (refused)',
      since: T0,
    });
  });

  it('fails a member only once it has also been missing for failAfterSeconds, however close together the ticks come', () => {
    const missing = observe(spec, { down: [2] });
    let state = stateFor(spec, missing);
    const statuses: string[] = [];
    // Alarm and manual ticks can come a second apart: 15 ticks over 14 s are still a blip.
    for (let i = 0; i <= 16; i++) {
      const d = detect(spec, state, missing, T0 + i * 1000);
      state = { ...state, health: d.health, leader: d.leader, reports: d.pendingReports };
      statuses.push(d.verdicts.get(2)?.status ?? '?');
    }
    expect(statuses.slice(0, 15)).toEqual(Array.from({ length: 15 }, () => 'suspect'));
    expect(statuses.slice(15)).toEqual(['failed', 'failed']);
    expect(detect(spec, state, missing, T0 + 17_000).verdicts.get(2)?.evidence).toBe('missed 18 probes in a row over 17 s (failed at 3 and 15 s); last: no answer (refused)');
  });

  it('forgives a miss as soon as the member answers again', () => {
    const missing = observe(spec, { down: [2] });
    const fine = observe(spec);
    const results = run([missing, missing, fine, missing], stateFor(spec, fine));
    expect(results.map((r) => r.verdicts.get(2)?.status)).toEqual(['suspect', 'suspect', 'healthy', 'suspect']);
    expect(results[2]?.health).toEqual([]);
  });

  it('fails a member at once when its instance is stopped, terminated or impaired', () => {
    for (const state of ['stopped', 'terminated', 'impaired'] as const) {
      const observed = { ...observe(spec, { down: [3] }), instances: [instance(1), instance(2), instance(3, state)] };
      expect(detect(spec, stateFor(spec, observed), observed, T0).verdicts.get(3)).toMatchObject({ status: 'failed', reason: 'instance-gone', evidence: `instance i-3 is ${state}` });
    }
  });

  it('counts "not serving" as a miss only while a quorum serves (without one it is the cluster\'s problem)', () => {
    const one: Observation = { ...observe(spec), probes: [serving(1, 'leader'), serving(2, 'follower'), notServing(3)] };
    expect(detect(spec, stateFor(spec, one), one, T0).verdicts.get(3)?.status).toBe('suspect');
    const all: Observation = { ...observe(spec), probes: [notServing(1), notServing(2), notServing(3)] };
    const d = detect(spec, stateFor(spec, all), all, T0);
    expect([...d.verdicts.values()].every((v) => v.status === 'healthy')).toBe(true);
    expect(d.reports).toEqual([{ kind: 'no-quorum', status: 'cluster', evidence: '0 of 3 voters serving', since: T0 }]);
  });

  it('fails a member whose latency stays far above the ensemble median for w ticks spanning failAfterSeconds', () => {
    const slow: Observation = { ...observe(spec), probes: [serving(1, 'leader'), serving(2, 'follower'), serving(3, 'follower', { latencyMs: { min: 1, avg: 400, max: 900 } })] };
    const results = run(Array.from({ length: 5 }, () => slow), stateFor(spec, slow));
    expect(results.map((r) => r.verdicts.get(3)?.status)).toEqual(['suspect', 'suspect', 'suspect', 'suspect', 'failed']);
    expect(results[4]?.verdicts.get(3)?.evidence).toBe('avg latency 400 ms > 5 x ensemble median 1 ms for 5 ticks (failed at 5)');
    // Five ticks a second apart are not five minutes: still only suspect.
    const fast = run(Array.from({ length: 5 }, () => slow), stateFor(spec, slow), 1000);
    expect(fast.map((r) => r.verdicts.get(3)?.status)).toEqual(['suspect', 'suspect', 'suspect', 'suspect', 'suspect']);
  });

  it('fails a member whose outstanding requests stay far above the ensemble median and above the floor', () => {
    const queued = (outstanding: number, others = 0): Observation => ({
      ...observe(spec),
      probes: [serving(1, 'leader', { outstandingRequests: others }), serving(2, 'follower', { outstandingRequests: others }), serving(3, 'follower', { outstandingRequests: outstanding })],
    });
    const slow = run(Array.from({ length: 5 }, () => queued(400)), stateFor(spec, queued(400)));
    expect(slow.map((r) => r.verdicts.get(3)?.status)).toEqual(['suspect', 'suspect', 'suspect', 'suspect', 'failed']);
    expect(slow[4]?.verdicts.get(3)).toMatchObject({ reason: 'slow', evidence: '400 outstanding requests > 5 x ensemble median 0 for 5 ticks (failed at 5)' });
    // At the floor (100) beside idle servers, or 5 x a busy median (500 beside 100s): not slow.
    for (const [outstanding, others] of [[100, 0], [500, 100]] as const) {
      const fine = run(Array.from({ length: 5 }, () => queued(outstanding, others)), stateFor(spec, queued(outstanding, others)));
      expect(fine.map((r) => r.verdicts.get(3)?.status), `${outstanding} beside ${others}`).toEqual(['healthy', 'healthy', 'healthy', 'healthy', 'healthy']);
    }
  });

  it('needs probes to corroborate a failure report before it counts', () => {
    const fine = observe(spec);
    const reported: Observation = { ...fine, requests: { reports: [{ serverId: 2, reason: 'alarm ServerDown', at: T0 }], replace: [], forget: [] } };
    const first = detect(spec, stateFor(spec, fine), reported, T0);
    expect(first.verdicts.get(2)).toMatchObject({ status: 'suspect', reason: 'reported', evidence: 'reported "alarm ServerDown", not corroborated by probes yet' });
    const missing = observe(spec, { down: [2] });
    const later = run([missing, missing], { ...stateFor(spec, fine), reports: first.pendingReports });
    expect(later[1]?.verdicts.get(2)).toMatchObject({ status: 'failed', reason: 'reported', evidence: 'reported "alarm ServerDown" and corroborated by 2 missed probes (suspect at 2)' });
  });

  it('reports an election storm when the leader changes too often', () => {
    const leaders = [1, 2, 3, 1].map((leader) => observe(spec, { leader }));
    const results = run(leaders, stateFor(spec, leaders[0] as Observation));
    expect(results[3]?.reports).toContainEqual({ kind: 'election-storm', status: 'cluster', evidence: '3 leader changes in the last 600 s (storm at 3)', since: T0 + 60_000 });
  });
});
