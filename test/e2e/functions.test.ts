import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { voterIds } from '../../lib/core/index.js';
import { InvalidInputError } from '../../lib/errors.js';
import { startLocalCluster, type TestCluster } from '../support/localCluster.js';

// The Lambda handlers with TARGET=local: every sample event in events/ runs through its handler
// against a real local cluster, and the tick handler heals a killed voter.

const EVENTS = join(import.meta.dirname, '..', '..', 'events');
const sample = (name: string): unknown => JSON.parse(readFileSync(join(EVENTS, name), 'utf8'));
const context = { functionName: 'zk-autoscaler-test', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:zk-autoscaler-test', memoryLimitInMB: '512', awsRequestId: 'req-1', logGroupName: '/aws/lambda/test', logStreamName: 'test', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 60_000, done: () => undefined, fail: () => undefined, succeed: () => undefined } as unknown as Context;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let c: TestCluster;
let tick: Handler;
let manual: Handler;

beforeAll(async () => {
  c = await startLocalCluster({ cluster: 'local' });
  process.env.TARGET = 'local';
  process.env.ZK_AUTOSCALER_HOME = c.home;
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  tick = (await import('../../functions/tick.js')).handler as unknown as Handler;
  manual = (await import('../../functions/manual.js')).handler as unknown as Handler;
}, 60_000);

describe('the functions on local mode', () => {
  it('runs every manual sample event through the manual handler, with the CLI\'s semantics', async () => {
    await tick(sample('schedule.json'), context); // publishes the connect strings
    const samples = readdirSync(EVENTS).filter((f) => f.startsWith('manual-')).sort();
    const run = (file: string): Promise<unknown> => (samples.includes(file) ? manual(sample(file), context) : Promise.reject(new Error(`no sample ${file}`)));
    expect(await run('manual-status.json')).toMatchObject({ action: 'status', data: { cluster: 'local', voters: { count: 3, synced: 3 } } });
    expect(await run('manual-plan.json')).toMatchObject({ action: 'plan', message: 'next step: none: steady: voters stay at 3; observers stay at 0: spec asks for 0 (bounds 0..10)' });
    expect(await run('manual-connect-string.json')).toMatchObject({ data: { clients: expect.stringMatching(/^127\./) } });

    // Pause and resume through the function: a paused cluster's tick observes and changes nothing.
    expect(await run('manual-pause.json')).toMatchObject({ message: 'local paused: ticks observe and report, and change nothing', data: { paused: true } });
    expect((await c.deps.store.readSpec('local')).paused).toBe(true);
    expect(await run('manual-plan.json')).toMatchObject({ message: 'next step: wait: paused by the operator: observing only' });
    expect(await run('manual-resume.json')).toMatchObject({ message: 'local resumed', data: { paused: false } });
    expect((await c.deps.store.readSpec('local')).paused).toBe(false);

    expect(await run('manual-scale.json')).toMatchObject({ message: 'spec of local: voters 3 -> 3, observers 0 -> 1; the next tick acts on it' });
    expect(await run('manual-report.json')).toMatchObject({ data: { serverId: 2, reason: 'disk latency alarm from the host' } });
    expect(await run('manual-replace.json')).toMatchObject({ message: 'replacement of server 2 requested; the next tick starts it' });
    await expect(run('manual-forget.json')).rejects.toThrow('server 9 in the state of cluster local not found');
    // The cluster exists: a create request is refused, and nothing is recorded.
    const requests = await c.deps.store.readRequests('local');
    await expect(run('manual-create.json')).rejects.toThrow('invalid create local: cluster: local was created before (its controller state exists)');
    expect(await c.deps.store.readRequests('local')).toEqual(requests);
    expect(await run('manual-spec-show.json')).toMatchObject({ data: { spec: { cluster: 'local', paused: false } } });
    expect(await run('manual-spec-set.json')).toMatchObject({ message: 'spec of local replaced; the next tick acts on it' });
    expect((await c.deps.store.readSpec('local')).load.targets.requestsPerSecond).toBe(2000);
    // Every sample was run above.
    expect(samples).toEqual([
      'manual-connect-string.json', 'manual-create.json', 'manual-forget.json', 'manual-pause.json', 'manual-plan.json', 'manual-replace.json',
      'manual-report.json', 'manual-resume.json', 'manual-scale.json', 'manual-spec-set.json', 'manual-spec-show.json', 'manual-status.json',
    ]);
  }, 60_000);

  it('refuses a malformed event with an error naming the field, and touches nothing', async () => {
    const before = await c.deps.store.readSpec('local');
    const bad = manual({ action: 'scale', cluster: 'local', voters: 'many' }, context);
    await expect(bad).rejects.toThrow(InvalidInputError);
    await expect(bad).rejects.toThrow(/invalid manual event: voters: .*\(got "many"\)/);
    await expect(tick({ source: 'aws.events', time: 'now' }, context)).rejects.toThrow(/^invalid tick event: detail-type: /);
    await expect(tick({ source: 'aws.s3' }, context)).rejects.toThrow('invalid tick event: source: expected "aws.events" (schedule), "aws.cloudwatch" (alarm), "aws.ec2" or "aws.health" (instance events) (got "aws.s3")');
    expect(await c.deps.store.readSpec('local')).toEqual(before);
  });

  it('files a report when an alarm names a server, and ticks on the EventBridge alarm shape too', async () => {
    await tick(sample('alarm-server-down.json'), context);
    const requests = await c.deps.store.readRequests('local');
    expect(requests.at(-1)).toMatchObject({ kind: 'report', serverId: 2, reason: expect.stringMatching(/^zk-autoscaler-dev-local-server-2-down: Threshold Crossed/) });
    const answer = (await tick(sample('alarm-quorum-at-risk.json'), context)) as { results: { cluster: string }[] };
    expect(answer.results.map((r) => r.cluster)).toEqual(['local']);
  }, 60_000);

  it('heals a kill -9ed voter with the tick handler and events/schedule.json', async () => {
    await c.setSpec((s) => ({ ...s, observers: { ...s.observers, desired: 0 } }));
    for (let i = 0; i < 40; i++) {
      await tick(sample('schedule.json'), context);
      if ((await c.tick()).outcome === 'steady') break;
    }
    const victim = (await c.config()).members.find((m) => m.role === 'voter')?.serverId as number;
    await c.processes.stop(victim, 'kill');
    let healed = false;
    const failed: string[] = [];
    for (let i = 0; i < 60 && !healed; i++) {
      const answer = (await tick(sample('schedule.json'), context)) as { results: { outcome: string; why: string }[] };
      failed.push(...answer.results.filter((r) => r.outcome === 'failed').map((r) => r.why));
      const config = await c.config().catch(() => undefined);
      healed = answer.results[0]?.outcome === 'steady' && config !== undefined && voterIds(config.members).size === 3 && !config.members.some((m) => m.serverId === victim);
      if (!healed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(healed).toBe(true);
    expect(failed).toEqual([]);
  }, 90_000);
});
