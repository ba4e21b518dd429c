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
    expect(samples).toHaveLength(12);
    const answers: Record<string, unknown> = {};
    for (const file of samples) {
      try {
        answers[file] = await manual(sample(file), context);
      } catch (err) {
        answers[file] = { error: (err as Error).message };
      }
    }
    expect(answers['manual-status.json']).toMatchObject({ action: 'status', data: { cluster: 'local', voters: { count: 3, synced: 3 } } });
    expect(answers['manual-plan.json']).toMatchObject({ action: 'plan', message: expect.stringMatching(/^next step: /) });
    expect(answers['manual-scale.json']).toMatchObject({ message: 'spec of local: voters 3 -> 3, observers 0 -> 1; the next tick acts on it' });
    expect(answers['manual-report.json']).toMatchObject({ data: { serverId: 2, reason: 'disk latency alarm from the host' } });
    expect(answers['manual-replace.json']).toMatchObject({ message: 'replacement of server 2 requested; the next tick starts it' });
    expect(answers['manual-forget.json']).toEqual({ error: 'server 9 in the state of cluster local not found' });
    expect(answers['manual-connect-string.json']).toMatchObject({ data: { clients: expect.stringMatching(/^127\./) } });
    // The cluster exists: a create request is refused, and nothing is recorded.
    expect(answers['manual-create.json']).toEqual({ error: 'invalid create local: cluster: local was created before (its controller state exists)' });
    expect(answers['manual-spec-show.json']).toMatchObject({ data: { spec: { cluster: 'local' } } });
    expect(answers['manual-spec-set.json']).toMatchObject({ message: 'spec of local replaced; the next tick acts on it' });
    expect((await c.deps.store.readSpec('local')).load.targets.requestsPerSecond).toBe(2000);
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
    await c.setSpec((s) => ({ ...s, observers: { ...s.observers, desired: 0 }, paused: false }));
    for (let i = 0; i < 40; i++) {
      await tick(sample('schedule.json'), context);
      if ((await c.tick()).outcome === 'steady') break;
    }
    const victim = (await c.config()).members.find((m) => m.role === 'voter')?.serverId as number;
    await c.processes.stop(victim, 'kill');
    let healed = false;
    for (let i = 0; i < 60 && !healed; i++) {
      const answer = (await tick(sample('schedule.json'), context)) as { results: { outcome: string }[] };
      const config = await c.config().catch(() => undefined);
      healed = answer.results[0]?.outcome === 'steady' && config !== undefined && voterIds(config.members).size === 3 && !config.members.some((m) => m.serverId === victim);
      if (!healed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(healed).toBe(true);
  }, 90_000);
});
