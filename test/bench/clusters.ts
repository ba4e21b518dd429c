import { DescribeInstancesCommand, DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, GetParametersByPathCommand, GetParametersCommand } from '@aws-sdk/client-ssm';
import { Ec2Fleet, Ec2Listings, SsmStateStore } from '../../lib/adapters/aws/index.js';
import { RateBudgets } from '../../lib/adapters/aws/rateBudget.js';
import { SqsTickQueue } from '../../lib/adapters/aws/sqsTickQueue.js';
import { jsonLog } from '../../lib/adapters/local/index.js';
import { ClusterSpecSchema, initialState } from '../../lib/config/index.js';
import { parseTickRecord } from '../../lib/config/events.js';
import { launchRequest } from '../../lib/controller/index.js';
import { memberAt } from '../../lib/core/index.js';
import { superUserOf } from '../../lib/wiring/local.js';
import { FakeEc2 } from '../support/fakeEc2.js';
import { FakeSqsFifo } from '../support/fakeSqs.js';
import { FakeSsm } from '../support/fakeSsm.js';

// A thousand clusters per deployment, on simulated time: the fan-out (one listing, one message per
// cluster on a strict FIFO fake, paced over 45 s) and, for each message as it arrives, the AWS
// calls of a steady tick (spec, state, requests and connect strings in one GetParameters; the
// fleet's DescribeInstances and DescribeInstanceStatus) through the real SSM store and EC2 fleet,
// which wait on the rate budgets. The fakes enforce the account's limits on the same
// clock: 40 SSM reads/s shared, and EC2's per-API buckets (100, refilled at 20/s). A round's wall
// time is simulated seconds from the schedule to the last cluster's reads; the probes of
// ZooKeeper, which cost no AWS call, are left out (they run side by side across clusters).

const DEPLOYMENT = 'zk-autoscaler-bench';
const PREFIX = `/zk-autoscaler/${DEPLOYMENT}`;
const LIMITS = { ssmReadsPerSecond: 40, ssmWritesPerSecond: 3, ec2DescribesPerSecond: 20, ec2DescribeBurst: 100, share: 0.9, containers: 1 };

/** Time that moves only when every task waits: the next wake-up comes first. */
class SimulatedTime {
  now = 0;
  private timers: { at: number; wake: () => void }[] = [];
  readonly clock = (): number => this.now;
  readonly wait = (ms: number): Promise<void> => new Promise((wake) => this.timers.push({ at: this.now + Math.max(0, ms), wake }));

  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    void work.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      // Let every task that can run, run (the SDK mocks answer through promises and immediates).
      for (let i = 0; i < 5 && !done; i++) await new Promise((r) => setImmediate(r));
      if (done) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) continue;
      this.now = Math.max(this.now, next.at);
      next.wake();
    }
    return work;
  }
}

export interface RoundFigures {
  readonly clusters: number;
  readonly roundSeconds: number;
  readonly callsPerSteadyTick: Record<string, number>;
  readonly throttled: number;
  readonly peakCallsPerSecond: Record<string, number>;
}

export async function measureRound(clusters: number): Promise<RoundFigures> {
  const time = new SimulatedTime();
  const ssm = new FakeSsm();
  ssm.shortPages = false;
  const ec2 = new FakeEc2([{ subnetId: 'subnet-a', zone: 'a', cidr: '10.0.0.0/16' }]);
  ec2.describePageSize = undefined;
  const log = jsonLog(() => undefined);
  const budgets = new RateBudgets(LIMITS, time.clock, time.wait);
  const store = new SsmStateStore(ssm.client, PREFIX, { attempts: 5, baseDelayMs: 200, sleep: time.wait }, time.clock, budgets);
  const names = Array.from({ length: clusters }, (_, i) => `c${String(i).padStart(4, '0')}`);
  const spec = (cluster: string) => ClusterSpecSchema.parse({ cluster, zones: [{ name: 'a', subnetId: 'subnet-a' }], launchTemplate: { id: 'lt-1', version: '1' } });
  const fleets = new Map<string, Ec2Fleet>();
  const retry = { attempts: 5, baseDelayMs: 200, sleep: time.wait };
  // One listing per batch of ten clusters, as the tick function's batches share it.
  const listings = new Ec2Listings(ec2.client, { deployment: DEPLOYMENT, log, budgets, retry, clock: time.clock });
  // Set up on the same clock: the adapters spend their budgets from the first call.
  const setup = async (): Promise<void> => {
  for (const [n, cluster] of names.entries()) {
    await store.writeSpec(cluster, spec(cluster));
    ssm.set(`${PREFIX}/${cluster}/state`, JSON.stringify(initialState(cluster)));
    ssm.set(`${PREFIX}/${cluster}/connect-string`, 'x');
    ssm.set(`${PREFIX}/${cluster}/connect-string-read-mostly`, 'x');
    const fleet = new Ec2Fleet(ec2.client, { deployment: DEPLOYMENT, cluster, log, budgets, retry, listings });
    const s = spec(cluster);
    const ports = { fleet, superUser: superUserOf({ read: async () => 'a-password-of-at-least-24-chars' }, cluster) };
    const committed = [1, 2, 3].map((id) => memberAt(s.zookeeper, id, `10.${n >> 8}.${n & 255}.${id}`, 'voter'));
    for (const id of [1, 2, 3]) {
      await fleet.launch(await launchRequest(s, ports, { serverId: id, role: 'voter', zone: 'a', operationId: `seed-${id}` }, { kind: 'join', committed: committed.filter((m) => m.serverId !== id) }));
    }
    fleets.set(cluster, fleet);
  }
  };
  await time.run(setup());
  ec2.boot();
  ssm.mock.resetHistory();
  ec2.mock.resetHistory();

  // From here on the account's limits hold (the adapters spent their budgets from the start).
  ssm.readLimit = { ratePerSecond: LIMITS.ssmReadsPerSecond, burst: LIMITS.ssmReadsPerSecond, clock: time.clock };
  ec2.requestLimit = { ratePerSecond: LIMITS.ec2DescribesPerSecond, burst: LIMITS.ec2DescribeBurst, clock: time.clock };
  const perSecond = new Map<string, Map<number, number>>();
  const count = (api: string): void => {
    const second = Math.floor(time.now / 1000);
    const m = perSecond.get(api) ?? new Map<number, number>();
    m.set(second, (m.get(second) ?? 0) + 1);
    perSecond.set(api, m);
  };

  const sqs = new FakeSqsFifo('bench-tick.fifo', time.clock);
  const queue = new SqsTickQueue(sqs.client, 'bench-tick.fifo', { spreadMs: 45_000, clock: time.clock, wait: time.wait });
  const ticks: Promise<void>[] = [];
  // The mapping delivers each batch as it arrives: each message ticks its cluster's reads.
  const delivered = (): void => {
    const batch = sqs.messages.splice(0);
    for (let i = 0; i < batch.length; i += 10) listings.prepare(batch.slice(i, i + 10).map((m) => m.groupId));
    for (const m of batch) {
      const { cluster } = parseTickRecord({ messageId: m.body, eventSource: 'aws:sqs', body: m.body, attributes: { MessageGroupId: m.groupId } });
      ticks.push(
        (async () => {
          await store.readSpec(cluster);
          await store.readState(cluster);
          await store.readRequests(cluster);
          count('ssm');
          await fleets.get(cluster)?.list();
          count('ec2');
        })(),
      );
    }
  };
  let rounds = 0;
  const round = async (): Promise<number> => {
    const started = time.now;
    rounds++;
    const listed = await store.listClusters();
    const sending = queue.send(listed.map((cluster) => ({ cluster, trigger: { kind: 'schedule' as const }, at: `round-${rounds}` })));
    const poll = setInterval(delivered, 1);
    await sending;
    clearInterval(poll);
    delivered();
    await Promise.all(ticks.splice(0));
    return (time.now - started) / 1000;
  };
  await time.run(round()); // a first round: every container's connect strings and adopted records read
  ssm.mock.resetHistory();
  ec2.mock.resetHistory();
  perSecond.clear();
  const roundSeconds = await time.run(round());
  const per = (n: number): number => Number((n / clusters).toFixed(2));
  return {
    clusters,
    roundSeconds: Number(roundSeconds.toFixed(1)),
    callsPerSteadyTick: {
      'ssm:GetParameters': per(ssm.mock.commandCalls(GetParametersCommand).length),
      'ssm:GetParameter': per(ssm.mock.commandCalls(GetParameterCommand).length),
      'ssm:GetParametersByPath (the listing, per cluster)': per(ssm.mock.commandCalls(GetParametersByPathCommand).length),
      'ec2:DescribeInstances': per(ec2.mock.commandCalls(DescribeInstancesCommand).length),
      'ec2:DescribeInstanceStatus': per(ec2.mock.commandCalls(DescribeInstanceStatusCommand).length),
    },
    throttled: ssm.throttled + [...ec2.throttled.values()].reduce((a, b) => a + b, 0),
    peakCallsPerSecond: Object.fromEntries([...perSecond].map(([api, m]) => [`${api} ticks`, Math.max(...m.values())])),
  };
}

type Row = readonly [figure: string, values: readonly number[], unit: string, goal: string];

/** The bench's rows and notes: 10 and 100 clusters (and 1,000 unless smoke). */
export async function measureClusters(smoke: boolean, rows: Row[], notes: string[]): Promise<void> {
  for (const clusters of smoke ? [10, 100] : [10, 100, 1000]) {
    const r = await measureRound(clusters);
    rows.push([`${clusters} clusters: a full round, schedule to the last steady tick's AWS calls (simulated time)`, [r.roundSeconds], 's', '<= 60']);
    rows.push([`${clusters} clusters: throttled AWS calls in that round`, [r.throttled], 'calls', '0']);
    notes.push(`${clusters} clusters: AWS calls per steady tick ${JSON.stringify(r.callsPerSteadyTick)}; busiest second ${JSON.stringify(r.peakCallsPerSecond)}; limits enforced by the fakes: 40 SSM reads/s, EC2 100/20 per API; budget 90% of each.`);
  }
}
