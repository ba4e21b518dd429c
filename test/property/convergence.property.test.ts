import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, type ControllerState } from '../../lib/config/index.js';
import { decide, detect, think, voterIds, type Observation } from '../../lib/core/index.js';
import { ModelEnsemble } from '../support/modelEnsemble.js';
import { T0, testSpec } from '../support/world.js';

// Crash points: the tick can die after persisting its state and before acting, or after acting and
// before persisting. Whatever the crashes, the next clean ticks converge to the desired membership,
// with no id launched for a second operation while a server of the first lives, and no server left
// outside the config.

type Crash = 'none' | 'before-act' | 'before-persist';

describe('convergence through crashes', () => {
  it('reaches the desired voters and observers, with no duplicate and no orphan, whatever the crash points', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 3, 5, 7),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.constantFrom<Crash>('none', 'none', 'before-act', 'before-persist'), { minLength: 40, maxLength: 40 }),
        fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
        (voters, observers, crashes, killAt) => {
          const spec = testSpec({ voters: { min: 1, desired: voters, max: 7 }, observers: { min: 0, desired: observers, max: 5 } });
          const model = new ModelEnsemble(spec, [1, 2, 3]);
          let state: ControllerState = initialState('test', 4);
          const opsByServer = new Map<number, string>();
          for (let tick = 0; tick < 140; tick++) {
            model.tick = tick;
            // One voter dies for good, while enough voters are there that one loss keeps a quorum
            // (losing the quorum is an operator's recovery, not the controller's).
            if (tick === killAt && voterIds(model.config.members).size >= 3) {
              const victim = model.config.members.find((m) => m.role === 'voter');
              const server = victim && model.servers.get(victim.serverId);
              if (server) server.crashed = true;
            }
            const observed = model.observe();
            const thought = think(spec, state, observed, T0 + tick * 60_000);
            const op = thought.state.operation;
            if (op && op.kind !== 'remove') {
              const seen = opsByServer.get(op.serverId);
              const earlier = model.servers.get(op.serverId);
              const gone = earlier === undefined || earlier.state === 'terminated';
              expect(seen === undefined || seen === op.id || gone, `server ${op.serverId} launched for ${seen} and ${op.id} while the first lives`).toBe(true);
              opsByServer.set(op.serverId, op.id);
            }
            const crash = tick < crashes.length ? crashes[tick] : 'none';
            if (crash !== 'before-persist') state = thought.state;
            if (crash !== 'before-act') model.apply(thought.step);
          }
          const final: Observation = model.observe();
          const decision = decide(spec, state, final, detect(spec, state, final, T0), T0);
          const members = model.config.members;
          expect(voterIds(members).size).toBe(decision.voters.desired);
          expect(members.filter((m) => m.role === 'observer')).toHaveLength(decision.observers.desired);
          const running = [...model.servers.values()].filter((s) => s.state !== 'terminated' && !s.crashed).map((s) => s.serverId);
          expect(running.sort((a, b) => a - b)).toEqual(members.map((m) => m.serverId));
          expect(state.operation).toBeUndefined();
          expect({ secondServers: model.secondServers, sessionCollisions: model.sessionCollisions }).toEqual({ secondServers: 0, sessionCollisions: 0 });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('flapping', () => {
  it('an oscillating read load around the target causes no scale-in / scale-out ping-pong', () => {
    const spec = testSpec({ observers: { min: 0, desired: 0, max: 10 }, load: { targets: { requestsPerSecond: 1000 }, tolerance: 0.1 } });
    const model = new ModelEnsemble(spec, [1, 2, 3]);
    let state: ControllerState = initialState('test', 4);
    const sizes: number[] = [];
    for (let tick = 0; tick < 240; tick++) {
      model.tick = tick;
      // A total read load that 4 servers carry at the target, +-20%, switching every 3 minutes.
      const total = Math.floor(tick / 3) % 2 === 0 ? 4800 : 3200;
      const observed = { ...model.observe(), load: { windowSeconds: 60, requestsPerSecond: total, connections: 0, avgLatencyMs: 1, outstandingRequests: 0 } };
      const thought = think(spec, state, observed, T0 + tick * 60_000);
      state = thought.state;
      model.apply(thought.step);
      sizes.push(model.config.members.filter((m) => m.role === 'observer').length);
    }
    const directions = sizes.slice(1).map((n, i) => Math.sign(n - (sizes[i] as number))).filter((d) => d !== 0);
    const reversals = directions.slice(1).filter((d, i) => d !== directions[i]).length;
    expect(Math.max(...sizes)).toBeGreaterThan(0); // it did scale out for the peaks
    expect(reversals).toBe(0);
  });
});
