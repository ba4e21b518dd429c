import { describe, expect, it } from 'vitest';
import { connectStrings, pickSeveral, seededRng, STRATEGIES, type Candidate } from '../../../lib/core/index.js';
import { observe, serving, testSpec } from '../../support/world.js';

// One suite for every strategy, then what each one prefers.

const candidates: Candidate[] = [
  { key: '1', outstandingRequests: 0, connections: 40, avgLatencyMs: 2 },
  { key: '2', outstandingRequests: 0, connections: 5, avgLatencyMs: 9 },
  { key: '3', outstandingRequests: 3, connections: 1, avgLatencyMs: 1 },
  { key: '4', outstandingRequests: 0, connections: 20, avgLatencyMs: 4 },
];

describe.each(Object.values(STRATEGIES))('strategy $name', (strategy) => {
  it('picks one of the candidates, with a reason', () => {
    const pick = strategy.pick(candidates, { purpose: 'serve', rng: seededRng(1), cursor: 0 });
    expect(candidates).toContain(pick.chosen);
    expect(pick.why).toContain(pick.chosen.key);
  });

  it('gives the same pick for the same seed and cursor, whatever the candidates\' order', () => {
    const a = strategy.pick(candidates, { purpose: 'remove', rng: seededRng(42), cursor: 3 });
    const b = strategy.pick([...candidates].reverse(), { purpose: 'remove', rng: seededRng(42), cursor: 3 });
    expect(a.chosen.key).toBe(b.chosen.key);
  });

  it('picks the only candidate when there is one', () => {
    expect(strategy.pick([candidates[0] as Candidate], { purpose: 'place', rng: seededRng(7), cursor: 5 }).chosen.key).toBe('1');
  });
});

describe('what each strategy prefers', () => {
  const ctx = (purpose: 'serve' | 'remove', cursor = 0) => ({ purpose, rng: seededRng(9), cursor });
  it('least requests: the fewest outstanding, then connections, to serve and to remove', () => {
    expect(STRATEGIES['least-requests'].pick(candidates, ctx('serve')).chosen.key).toBe('2');
    expect(STRATEGIES['least-requests'].pick(candidates, ctx('remove')).chosen.key).toBe('2');
  });
  it('least response time: the fastest serves, the slowest goes', () => {
    expect(STRATEGIES['least-response-time'].pick(candidates, ctx('serve')).chosen.key).toBe('3');
    expect(STRATEGIES['least-response-time'].pick(candidates, ctx('remove')).chosen).toMatchObject({ key: '2', avgLatencyMs: 9 });
  });
  it('round robin: the next in turn, the cursor moving on', () => {
    const first = STRATEGIES['round-robin'].pick(candidates, ctx('serve', 0));
    const second = STRATEGIES['round-robin'].pick(candidates, ctx('serve', first.cursor));
    expect([first.chosen.key, second.chosen.key, first.cursor, second.cursor]).toEqual(['1', '2', 1, 2]);
  });
  it('random: different seeds spread the picks', () => {
    const picks = new Set(Array.from({ length: 50 }, (_, seed) => STRATEGIES.random.pick(candidates, { purpose: 'serve', rng: seededRng(seed), cursor: 0 }).chosen.key));
    expect(picks.size).toBe(4);
  });
  it('rotating subsets with round robin', () => {
    const a = pickSeveral(STRATEGIES['round-robin'], candidates, 2, ctx('serve', 0));
    const b = pickSeveral(STRATEGIES['round-robin'], candidates, 2, ctx('serve', a.cursor));
    expect([a.chosen.map((c) => c.key), b.chosen.map((c) => c.key)]).toEqual([['1', '2'], ['2', '3']]);
  });
});

describe('connect strings', () => {
  it('give new clients the K least loaded serving servers, and a read-mostly string with observers first', () => {
    const spec = testSpec({ connectStringSize: 2 });
    const observed = observe(spec, { voters: [1, 2, 3], observers: [4] });
    const probes = [serving(1, 'leader', { connections: 50 }), serving(2, 'follower', { connections: 10 }), serving(3, 'follower', { connections: 30 }), serving(4, 'observer', { connections: 5 })];
    if (!observed.config.readable) throw new Error('readable');
    const strings = connectStrings(spec, observed.config.config, probes, 0);
    expect(strings.clients).toBe('10.0.0.2:2181,10.0.0.4:2181');
    expect(strings.readMostly).toBe('10.0.0.4:2181,10.0.0.2:2181');
  });

  it('keep the published choice while load moves, and choose again when one of its servers stops serving', () => {
    const spec = testSpec({ connectStringSize: 2 });
    const observed = observe(spec, { voters: [1, 2, 3], observers: [4] });
    if (!observed.config.readable) throw new Error('readable');
    const published = { clients: '10.0.0.2:2181,10.0.0.4:2181', readMostly: '10.0.0.4:2181,10.0.0.2:2181' };
    const busier = [serving(1, 'leader', { connections: 1 }), serving(2, 'follower', { connections: 90 }), serving(3, 'follower', { connections: 2 }), serving(4, 'observer', { connections: 80 })];
    expect(connectStrings(spec, observed.config.config, busier, 0, published)).toEqual(published);
    const twoGone = busier.filter((p) => p.serverId !== 2);
    expect(connectStrings(spec, observed.config.config, twoGone, 0, published).clients).toBe('10.0.0.1:2181,10.0.0.3:2181');
  });
});
