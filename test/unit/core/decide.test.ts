import { describe, expect, it } from 'vitest';
import { decide, detect, NOTICE_URGENT_MS, type Observation } from '../../../lib/core/index.js';
import type { ClusterSpec, ControllerState } from '../../../lib/config/index.js';
import { observe, stateFor, T0, testSpec } from '../../support/world.js';

// Policies, each with the decision and its sentence.

function decision(spec: ClusterSpec, observed: Observation, state: ControllerState = stateFor(spec, observed), now = T0) {
  return decide(spec, state, observed, detect(spec, state, observed, now), now);
}

const loadSpec = testSpec({ observers: { min: 0, max: 10 }, load: { targets: { requestsPerSecond: 1000 } } });
const withLoad = (rps: number, observers = [4, 5]): Observation => ({
  ...observe(loadSpec, { observers }),
  load: { windowSeconds: 180, requestsPerSecond: rps, connections: 0, avgLatencyMs: 1, outstandingRequests: 0 },
});

describe('decide', () => {
  it('keeps voters at the spec size and explains a change', () => {
    expect(decision(testSpec(), observe(testSpec())).voters).toEqual({ current: 3, desired: 3, why: 'voters stay at 3' });
    expect(decision(testSpec({ voters: { desired: 5 } }), observe(testSpec())).voters.why).toBe('voters 3 -> 5: spec asks for 5 (bounds 3..7)');
  });

  it('grows observers from read load at once: servers = ceil(servers * load / target)', () => {
    // 5 servers at 1,850 req/s each: ceil(5 * 1.85) = 10 servers = 3 voters + 7 observers.
    expect(decision(loadSpec, withLoad(5 * 1850)).observers).toEqual({
      current: 2,
      desired: 7,
      why: 'observers 2 -> 7: avg 1,850 req/s per server over 180 s > target 1,000 (+10% tolerance)',
    });
  });

  it('changes nothing inside the tolerance band', () => {
    expect(decision(loadSpec, withLoad(5 * 1080)).observers.why).toBe('observers stay at 2: avg 1,080 req/s per server over 180 s within target 1,000 (10% tolerance)');
  });

  it('shrinks observers only after the stabilization window, to the highest recommendation seen in it', () => {
    const low = withLoad(5 * 300);
    const first = decision(loadSpec, low);
    expect(first.observers.desired).toBe(2);
    expect(first.observers.why).toMatch(/scale-in waits 600 s more of its 600 s stabilization window/);
    const state = { ...stateFor(loadSpec, low), scaleInHold: first.scaleInHold };
    expect(decision(loadSpec, low, state, T0 + 599_000).observers.desired).toBe(2);
    const after = decision(loadSpec, low, state, T0 + 600_000);
    expect(after.observers.desired).toBe(0);
    expect(after.observers.why).toBe('observers 2 -> 0: avg 300 req/s per server over 180 s < target 1,000 (-10% tolerance); the highest recommendation over the 600 s window was 0 (bounded by minimum 0, maximum 10)');
  });

  it('respects the scale-out cooldown', () => {
    const state = { ...stateFor(loadSpec, withLoad(5 * 1850)), lastScaleOutAt: T0 - 60_000 };
    expect(decision(loadSpec, withLoad(5 * 1850), state).observers.why).toBe(
      'observers stay at 2: avg 1,850 req/s per server over 180 s > target 1,000 (+10% tolerance) wants 7, but the scale-out cooldown has 60 s left',
    );
  });

  it('never grows voters for load', () => {
    expect(decision(loadSpec, withLoad(5 * 5000)).voters.desired).toBe(3);
  });

  it('applies a scheduled window: more observers on weekdays 08:00-18:00 UTC', () => {
    const spec = testSpec({ schedules: [{ name: 'office hours', days: ['tue'], from: '08:00', to: '18:00', observersMin: 4 }] });
    // T0 is Tuesday 2026-11-24 12:00 UTC.
    expect(decision(spec, observe(spec)).observers).toEqual({ current: 0, desired: 4, why: 'observers 0 -> 4: spec asks for 0, held to schedule "office hours" minimum 4' });
    expect(decision(spec, observe(spec), undefined, T0 + 8 * 3_600_000).observers.desired).toBe(0);
  });

  it('replaces failed voters before failed observers, each role oldest failure first, then requested, then outdated', () => {
    // Observer 6 failed first of all, so an order by failure time alone would put it first; voter 3
    // failed after voter 2. Voter 5 is asked for by an operator, voter 4 runs an old template.
    const spec = testSpec({ voters: { desired: 5 }, observers: { min: 0, max: 10 }, launchTemplate: { id: 'lt-1', version: '7' } });
    const launched = observe(spec, { voters: [1, 2, 3, 4, 5], observers: [6, 7], leader: 1, down: [2, 3, 6, 7] });
    const observed = { ...launched, instances: launched.instances.map((i) => ({ ...i, launchTemplateVersion: i.serverId === 4 ? '6' : '7' })) };
    const missing = (serverId: number, seconds: number) => ({ serverId, misses: 5, missingSince: T0 - seconds * 1000, lastMiss: 'no answer (refused)', slowTicks: 0 });
    const state = stateFor(spec, observed, { health: [missing(6, 300), missing(3, 60), missing(2, 120), missing(7, 90)], replaceRequests: [5] });
    const d = decision(spec, observed, state);
    expect(d.replacements.map((r) => [r.serverId, r.reason])).toEqual([
      [2, 'failed'],
      [3, 'failed'],
      [6, 'failed'],
      [7, 'failed'],
      [5, 'requested'],
      [4, 'outdated'],
    ]);
  });

  it('replaces outdated servers one at a time with the leader last', () => {
    const spec = testSpec({ launchTemplate: { id: 'lt-1', version: '7' } });
    const launched = observe(spec, { voters: [1, 2, 3], observers: [4], leader: 1 });
    const observed = { ...launched, instances: launched.instances.map((i) => ({ ...i, launchTemplateVersion: '6' })) };
    const d = decision(spec, observed, stateFor(spec, observed));
    expect(d.replacements.map((r) => r.serverId)).toEqual([2, 3, 4, 1]);
    expect(d.replacements[3]?.why).toBe('replace voter 1: launched from template version 6, spec has 7 (rolling, one at a time, leader last)');
  });

  it('replaces servers with notices (or requests) in their order, the leader last, and says so', () => {
    const spec = testSpec();
    const base = observe(spec, { voters: [1, 2, 3], observers: [4], leader: 2 });
    const notices = { 2: { reason: 'spot interruption (terminate) by 2026-12-02T10:02:00Z', deadline: T0 + 120_000 }, 3: { reason: 'spot interruption (terminate) by 2026-12-02T10:02:10Z', deadline: T0 + 130_000 } };
    const observed = { ...base, requests: { ...base.requests, replace: [2, 4, 3], notices } };
    const d = decision(spec, observed);
    // Both due within minutes: the earliest first, the leader's included; the observer (no deadline) after.
    expect(d.replacements.map((r) => r.serverId)).toEqual([2, 3, 4]);
    expect(d.replacements.map((r) => r.why)).toEqual([
      'replace voter 2: spot interruption (terminate) by 2026-12-02T10:02:00Z',
      'replace voter 3: spot interruption (terminate) by 2026-12-02T10:02:10Z',
      'replace observer 4: an operator asked for it',
    ]);
    // Due at the same second: the leader last.
    const same = { ...notices, 3: { ...notices[3], deadline: T0 + 120_000 } };
    const tie = decision(spec, { ...base, requests: { ...base.requests, replace: [2, 3], notices: same } });
    expect(tie.replacements.map((r) => r.serverId)).toEqual([3, 2]);
    expect(tie.replacements[1]?.why).toMatch(/\(leader last\)$/);
    // Alone, the leader is simply next, and nothing says 'last'.
    const alone = decision(spec, { ...base, requests: { ...base.requests, replace: [2], notices } });
    expect(alone.replacements.map((r) => r.why)).toEqual(['replace voter 2: spot interruption (terminate) by 2026-12-02T10:02:00Z']);
  });

  it('puts the leader last among requests without a deadline due soon, then the earliest deadline first', () => {
    const spec = testSpec({ voters: { min: 3, desired: 5, max: 7 } });
    const base = observe(spec, { voters: [1, 2, 3, 4, 5], leader: 1 });
    const retiring = (days: number) => ({ reason: `scheduled retirement in ${days} days`, deadline: T0 + days * 86_400_000 });
    const notices = { 1: retiring(3), 2: retiring(9), 3: { reason: 'spot rebalance recommendation (no deadline given)' }, 4: retiring(2) };
    const d = decision(spec, { ...base, requests: { ...base.requests, replace: [1, 2, 3, 4], notices } });
    expect(d.replacements.map((r) => r.serverId)).toEqual([4, 2, 3, 1]);
    expect(d.replacements.at(-1)?.why).toBe('replace voter 1: scheduled retirement in 3 days (leader last)');
  });

  it('replaces servers whose notices are due within NOTICE_URGENT_MS first, the earliest first, the leader too', () => {
    const spec = testSpec();
    const base = observe(spec, { voters: [1, 2, 3], leader: 1 });
    const dueIn = (ms: number) => ({ reason: `due in ${ms} ms`, deadline: T0 + ms });
    const urgentLeader = { 1: dueIn(NOTICE_URGENT_MS), 2: dueIn(NOTICE_URGENT_MS + 1) };
    expect(decision(spec, { ...base, requests: { ...base.requests, replace: [2, 1], notices: urgentLeader } }).replacements.map((r) => r.serverId)).toEqual([1, 2]);
    const bothUrgent = { 1: dueIn(NOTICE_URGENT_MS), 2: dueIn(60_000) };
    expect(decision(spec, { ...base, requests: { ...base.requests, replace: [1, 2], notices: bothUrgent } }).replacements.map((r) => r.serverId)).toEqual([2, 1]);
    const leaderSooner = { 1: dueIn(90_000), 2: dueIn(10 * 60_000) };
    expect(decision(spec, { ...base, requests: { ...base.requests, replace: [2, 1], notices: leaderSooner } }).replacements.map((r) => r.serverId)).toEqual([1, 2]);
  });
});
