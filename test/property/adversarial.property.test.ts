import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../lib/adapters/aws/index.js';
import type { ClusterPorts } from '../../lib/controller/index.js';
import type { StateStore } from '../../lib/ports/index.js';
import {
  CLUSTER,
  ZONES,
  formatFailure,
  runCampaign,
  runHistory,
  type Fault,
  type History,
  type InvariantName,
  type Plant,
} from '../support/adversary/index.js';

// The whole controller (the real tick, lease and SSM store over FakeSsm, the real core) against a
// model AWS world whose faults are drawn per step: capacity, DescribeInstances lag, address reuse,
// joiners that never boot or run 3.5.5, zone outages, hung and killed servers, alarm storms, a tick
// killed between any two calls, two ticks at once, SSM throttling. Invariants are checked after
// every tick; a failing history prints as a replayable trace (fast-check seed and path, the
// faults per step, and the history to paste into runHistory).

/** Histories per `npm test` run: each is 50-110 ticks of 5-60 s plus the ticks after the faults
 * stop; ~160 ms each on the 2-core CI machine with no spares, up to ~280 ms with a core busy and
 * half the histories keeping hot spares (measured 2026-12-01: 300 histories in 46-83 s), so the
 * time limit leaves room for a busy machine. The bench (`npm run bench`) runs ten times as many. */
const HISTORIES = 150;
const SEED = 20261124;

describe('the controller against an adversarial AWS world', () => {
  it(
    'keeps every invariant through seeded histories of faults, and reaches the spec once they stop',
    async () => {
      const report = await runCampaign({ numRuns: HISTORIES, seed: SEED, timeLimitMs: 60_000 });
      expect(report.failure, report.failure).toBeUndefined();
      expect(report.interrupted).toBe(false);
    },
    90_000,
  );
});

// ---- each invariant, shown once to catch a bug planted around the real code ----

const quiet = (n: number, dt = 30): History['steps'][number][] => Array.from({ length: n }, () => ({ dt, faults: [] }));
const at = (faults: Fault[], dt = 30): History['steps'][number] => ({ dt, faults });
const resizeObservers: Fault = { kind: 'resize', voters: 3, observers: 1 };
const stopServer2: Fault = { kind: 'server-down', victim: 1, how: 'stopped' };

/** The fleet with its launch replaced: the model EC2 misbehaving in one precise way. */
function withLaunch(launch: (ports: ClusterPorts, request: Parameters<ClusterPorts['fleet']['launch']>[0]) => ReturnType<ClusterPorts['fleet']['launch']>): Plant {
  return { ports: (ports) => ({ ...ports, fleet: { ...ports.fleet, launch: (request) => launch(ports, request) } }) };
}

interface Planted {
  readonly invariant: InvariantName;
  readonly bug: string;
  readonly history: History;
  readonly plant: Plant;
  readonly settle?: boolean;
}

const PLANTED: readonly Planted[] = [
  {
    invariant: 'reconfigKeepsBothQuorums',
    bug: 'an extra reconfig removes a synced voter while the leader still counts a just-hung one',
    history: { seed: 1, steps: quiet(6) },
    plant: {
      afterStep: ({ world, step }) => {
        if (step !== 3) return;
        world.kill(1, 'hung');
        world.commit({ kind: 'incremental', add: [], remove: [2], fromVersion: world.config.version });
      },
    },
  },
  {
    invariant: 'noZoneMajorityAtRest',
    bug: 'EC2 puts every new server in the first zone and the fleet reports the zone it was asked for',
    // The controller believes its voters spread; the world knows one zone holds two of three.
    history: { seed: 2, steps: [at([stopServer2]), ...quiet(70)] },
    plant: ((asked = new Map<number, string>()): Plant => ({
      // One map for every tick of the history: the lie holds across invocations.
      ports: (ports) => {
        return {
          ...ports,
          fleet: {
            ...ports.fleet,
            launch: async (request) => {
              asked.set(request.serverId, request.zone);
              return { ...(await ports.fleet.launch({ ...request, zone: ZONES[0] })), zone: request.zone };
            },
            list: async () => (await ports.fleet.list()).map((i) => ({ ...i, zone: asked.get(i.serverId) ?? i.zone })),
          },
        };
      },
    }))(),
  },
  {
    invariant: 'oneInstancePerServer',
    bug: 'a fleet that launches twice (a ClientToken that changes between attempts)',
    history: { seed: 3, steps: [at([resizeObservers]), ...quiet(10)] },
    plant: withLaunch(async (ports, request) => {
      const first = await ports.fleet.launch(request);
      await ports.fleet.launch({ ...request, operationId: `${request.operationId}-again` });
      return first;
    }),
  },
  {
    invariant: 'idsSpentBounded',
    bug: 'a fleet that launches eleven strays beside the server asked for',
    history: { seed: 4, steps: [at([resizeObservers]), ...quiet(10)] },
    plant: withLaunch(async (ports, request) => {
      for (let id = 100; id < 111; id++) await ports.fleet.launch({ ...request, serverId: id, operationId: `stray-${id}` });
      return ports.fleet.launch(request);
    }),
  },
  {
    invariant: 'documentsFit',
    bug: 'a requests document of 5,000 characters sent to SSM',
    history: { seed: 5, steps: quiet(4) },
    plant: {
      afterStep: async ({ ssm, step }) => {
        if (step !== 2) return;
        const oversized = new PutParameterCommand({ Name: `/zk-autoscaler/${CLUSTER}/requests`, Value: 'x'.repeat(5000), Overwrite: true, Type: 'String' });
        await ssm.client.send(oversized).catch(() => undefined); // SSM refuses it; the attempt is the bug
      },
    },
  },
  {
    invariant: 'oneActorAtATime',
    bug: 'a store that grants every lease without recording it',
    history: { seed: 6, steps: [at([resizeObservers]), ...quiet(3)] },
    plant: {
      store: (store): StateStore => ({
        ...bound(store),
        acquireLease: async (cluster, holder, ttlMs, now) => ({ cluster, holder, token: 1, expiresAt: now + ttlMs }),
        holdsLease: async () => true,
        writeState: async () => undefined,
        releaseLease: async () => undefined,
      }),
    },
  },
  {
    invariant: 'failedVotersReplaced',
    bug: 'EC2 answers InsufficientInstanceCapacity in every zone although the world has capacity',
    history: { seed: 7, steps: [at([stopServer2]), ...quiet(100, 60)] },
    settle: false,
    plant: withLaunch(async (_ports, request) => {
      throw new AwsCallError('ec2', 'RunInstances', `server ${request.serverId}`, 'InsufficientInstanceCapacity');
    }),
  },
  {
    invariant: 'neverWaitsForever',
    bug: 'a probe that never sees a joiner serve',
    history: { seed: 8, steps: [at([resizeObservers]), ...quiet(20)] },
    plant: {
      ports: (ports, world) => ({
        ...ports,
        probe: {
          ...ports.probe,
          probe: async (targets) =>
            (await ports.probe.probe(targets)).map((p) =>
              world.config.members.some((m) => m.serverId === p.serverId) ? p : { ...p, result: { status: 'not-serving', detail: 'planted: never serves' } },
            ),
        },
      }),
    },
  },
];

/** The store's methods bound to it, so that a plant can replace some and keep the rest. */
function bound(store: StateStore): StateStore {
  const methods = Object.keys(store) as (keyof StateStore)[];
  return Object.fromEntries(methods.map((k) => [k, (store[k] as (...args: unknown[]) => unknown).bind(store)])) as unknown as StateStore;
}

describe('each invariant catches a planted bug', () => {
  it.each(PLANTED)('$invariant reports $bug', async ({ invariant, history, plant, settle }) => {
    const clean = await runHistory(history, { settle: settle ?? true });
    expect(clean.violations.filter((v) => v.invariant === invariant)).toEqual([]);
    const planted = await runHistory(history, { plant, settle: settle ?? true });
    expect(planted.violations.map((v) => v.invariant)).toContain(invariant);
  });
});

// ---- what the simulation found, as the shortest histories that showed it (they failed before the fixes) ----

describe('findings of the adversarial simulation', () => {
  it('keeps the voters spread over three zones when it scales in from five to three', async () => {
    // pickRemoval counted zones without the leader (1, in zone a): it removed 3 (c) and then 2 (b),
    // leaving voters 1 and 4 in zone a, whose loss takes the quorum.
    const history: History = { seed: 1, steps: [at([{ kind: 'resize', voters: 5, observers: 0 }]), ...quiet(20), at([{ kind: 'resize', voters: 3, observers: 0 }]), ...quiet(10)] };
    const outcome = await runHistory(history);
    expect(outcome.violations, formatFailure(history, outcome)).toEqual([]);
  });

  it('replaces a failed voter once capacity is back, although every zone lacked capacity for 45 minutes', async () => {
    // Each launch that timed out on InsufficientInstanceCapacity counted against the launch template:
    // after three, launches stopped for 6 h while a voter was down (quorum margin 0).
    const noCapacity = ZONES.map((_, zone): Fault => ({ kind: 'no-capacity', zone, minutes: 45 }));
    const history: History = { seed: 3, steps: [at([stopServer2, ...noCapacity]), ...quiet(100, 60)] };
    const outcome = await runHistory(history, { settle: false });
    expect(outcome.violations, formatFailure(history, outcome)).toEqual([]);
  }, 20_000);
});
