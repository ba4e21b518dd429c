import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { HEALTH_RETIRING_CODES, isInstanceEvent, parseWakeEvent } from '../../lib/config/events.js';

// `serverless package` (osls + serverless-esbuild) builds the Lambda artifacts offline, with no AWS
// credentials: what CI ships is what this test looks at. Its IAM is checked statement by statement
// in iam.test.ts.

const run = promisify(execFile);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** `serverless package` into a fresh directory; its template's resources. */
async function packageInto(extraArgs: string[] = []): Promise<{ out: string; resources: Resources }> {
  const out = mkdtempSync(join(inject('testRoot'), 'package-'));
  const started = Date.now();
  const required = ['--param=launchTemplateId=lt-0abc1234567890def', '--param=instanceRoleArn=arn:aws:iam::123456789012:role/zk-server'];
  await run('npx', ['serverless', 'package', '--stage', 'ci', '--package', out, ...required, ...extraArgs], {
    // serverless-esbuild leaves a 2.5 MB zip folder per function in TMPDIR (its cleanup is not
    // recursive): in the test root, which the run removes.
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', TMPDIR: inject('testRoot') },
    timeout: 120_000,
  });
  console.info(`serverless package ${extraArgs.join(' ')}: ${Date.now() - started} ms`);
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Resources };
  return { out, resources: template.Resources };
}

const EVENTS = join(import.meta.dirname, '..', '..', 'events');

/** EventBridge's matching for the patterns we use: each key's array lists the values that match, and
 * an object matches the event's object at that key (every key of the pattern must match). */
function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(event);
  if (typeof pattern !== 'object' || pattern === null || typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern).every(([key, sub]) => matchesPattern(sub, (event as Record<string, unknown>)[key]));
}

describe('the deployment package', () => {
  it('bundles each function alone and compiles the schedule, alarms, the deployment id and dashboard', async () => {
    const { out, resources: r } = await packageInto();
    for (const fn of ['tick', 'manual']) {
      const zip = readFileSync(join(out, `${fn}.zip`));
      expect(zip.length).toBeGreaterThan(100_000);
      // A CommonJS bundle named .cjs: the Lambda runtime loads <handler>.cjs when there is no .js.
      expect(zip.includes(`functions/${fn}.cjs`)).toBe(true);
      expect(zip.includes(`functions/${fn}.js`)).toBe(false);
      console.info(`${fn}.zip: ${(statSync(join(out, `${fn}.zip`)).size / 1024).toFixed(0)} KiB`);
    }
    expect(r.TickLambdaFunction?.Properties).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'functions/tick.handler' });
    // The queue, not reserved concurrency, keeps a cluster's ticks one at a time.
    expect(r.TickLambdaFunction?.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(Object.values(r).some((x) => x.Type === 'AWS::Events::Rule' && x.Properties.ScheduleExpression === 'rate(1 minute)')).toBe(true);
    // EC2 and Health about an instance wake the tick: the states of an instance going away, notices, scheduled changes.
    const patterns = Object.values(r).filter((x) => x.Type === 'AWS::Events::Rule' && x.Properties.EventPattern).map((x) => x.Properties.EventPattern);
    expect(patterns).toEqual([
      { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['stopping', 'stopped', 'shutting-down', 'terminated'] } },
      { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation'] },
      {
        source: ['aws.health'],
        'detail-type': ['AWS Health Event'],
        detail: {
          service: ['EC2'],
          eventTypeCategory: ['scheduledChange'],
          eventTypeCode: [...Object.keys(HEALTH_RETIRING_CODES), 'AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED', 'AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED', 'AWS_EC2_INSTANCE_NETWORK_MAINTENANCE_SCHEDULED'],
        },
      },
    ]);
    // Every instance-event sample in events/ is one the rules deliver; the parser reads each.
    const samples = readdirSync(EVENTS).filter((f) => /^(ec2|health)-/.test(f));
    expect(samples.length).toBeGreaterThanOrEqual(5);
    for (const file of samples) {
      const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as Record<string, unknown>;
      expect(patterns.filter((p) => matchesPattern(p, event)), file).toHaveLength(1);
      expect(isInstanceEvent(parseWakeEvent(event)), file).toBe(true);
    }
    // What the rules leave out never wakes the tick: a running instance, another Health category.
    const started = JSON.parse(readFileSync(join(EVENTS, 'ec2-instance-terminated.json'), 'utf8')) as Record<string, unknown>;
    expect(patterns.some((p) => matchesPattern(p, { ...started, detail: { ...(started.detail as object), state: 'running' } }))).toBe(false);
    const health = JSON.parse(readFileSync(join(EVENTS, 'health-instance-retirement.json'), 'utf8')) as Record<string, unknown>;
    expect(patterns.some((p) => matchesPattern(p, { ...health, detail: { ...(health.detail as object), eventTypeCategory: 'issue' } }))).toBe(false);
    const alarms = Object.values(r).filter((x) => x.Type === 'AWS::CloudWatch::Alarm').map((x) => x.Properties.MetricName);
    expect(alarms.sort()).toEqual(['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible', 'FailedMembers', 'LaunchFailures', 'ObserverShortfall', 'QuorumMargin', 'TickFailed']);
    // An event whose invocation failed is tried twice more, then kept (with its error) where an alarm sees it.
    const invokeConfig = Object.values(r).find((x) => x.Type === 'AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig?.Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['TickFailedEventsQueue', 'Arn'] } } } });
    expect(r.TickFailedEventsAlarm?.Properties).toMatchObject({ Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['TickFailedEventsQueue', 'QueueName'] } }], Threshold: 1 });
    // Launches from this template stopped after 3 new servers failed to join in a row.
    expect(r.LaunchFailingAlarm?.Properties).toEqual({
      AlarmName: 'zk-autoscaler-ci-launch-failing',
      AlarmDescription: expect.stringContaining('LaunchFailures >= 3'),
      Namespace: 'ZkAutoscaler',
      MetricName: 'LaunchFailures',
      Dimensions: [{ Name: 'service', Value: 'zk-autoscaler' }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ 'Fn::GetAtt': ['TickLambdaFunction', 'Arn'] }, { 'Fn::If': ['HasAlarmTopic', '', { Ref: 'AWS::NoValue' }] }],
    });
    // Access errors page people; they do not wake the tick, which would be refused again.
    expect(r.AccessDeniedAlarm?.Properties).toMatchObject({
      Namespace: 'ZkAutoscaler',
      MetricName: 'TickFailed',
      Dimensions: [{ Name: 'service', Value: 'zk-autoscaler' }, { Name: 'kind', Value: 'access' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(JSON.stringify(r.AccessDeniedAlarm?.Properties.AlarmActions)).not.toContain('TickLambdaFunction');
    expect(r.AlarmsInvokeTick?.Properties).toMatchObject({ Principal: 'lambda.alarms.cloudwatch.amazonaws.com' });
    expect(r.Dashboard?.Type).toBe('AWS::CloudWatch::Dashboard');
    // The deployment id (service-stage by default) names the SSM prefix both functions use.
    for (const fn of ['TickLambdaFunction', 'ManualLambdaFunction']) {
      expect((r[fn]?.Properties.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        ZK_AUTOSCALER_DEPLOYMENT: 'zk-autoscaler-ci',
        ZK_AUTOSCALER_PREFIX: '/zk-autoscaler/zk-autoscaler-ci',
      });
    }
  }, 180_000);

  it('routes one message per cluster through a FIFO queue with a dead-letter queue and its alarm', async () => {
    const { resources: r } = await packageInto(['--param=tickConcurrency=20']);
    expect(r.TickQueue?.Properties).toEqual({
      QueueName: 'zk-autoscaler-ci-tick.fifo',
      FifoQueue: true,
      ContentBasedDeduplication: false,
      VisibilityTimeout: 240,
      MessageRetentionPeriod: 600,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['TickDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 },
    });
    expect(r.TickDeadLetterQueue?.Properties).toMatchObject({ QueueName: 'zk-autoscaler-ci-tick-dead.fifo', FifoQueue: true });
    const mappings = Object.values(r).filter((x) => x.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings.map((m) => m.Properties)).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': ['TickQueue', 'Arn'] },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
      }),
    ]);
    expect(r.TickDeadLetterAlarm?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['TickDeadLetterQueue', 'QueueName'] } }],
      Threshold: 1,
    });
    // A plain queue name (invoke local resolves no CloudFormation reference offline) and the same
    // concurrency the mapping has, which each container divides the account's rates by.
    expect((r.TickLambdaFunction?.Properties.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({ TICK_QUEUE_NAME: 'zk-autoscaler-ci-tick.fifo', TICK_CONCURRENCY: '20' });
  }, 180_000);

  it('reserves concurrency for the tick with tickReservedConcurrency=N, and none by default (0 would throttle it completely)', async () => {
    const { resources: r } = await packageInto(['--param=tickReservedConcurrency=11']);
    expect(r.TickLambdaFunction?.Properties).toMatchObject({ Handler: 'functions/tick.handler', ReservedConcurrentExecutions: 11 });
  }, 180_000);
});
