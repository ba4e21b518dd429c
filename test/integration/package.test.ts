import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

// `serverless package` (osls + serverless-esbuild) builds the Lambda artifacts offline, with no AWS
// credentials: what CI ships is what this test looks at.

const run = promisify(execFile);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** `serverless package` into a fresh directory; its template's resources. */
async function packageInto(extraArgs: string[] = []): Promise<{ out: string; resources: Resources }> {
  const out = mkdtempSync(join(inject('testRoot'), 'package-'));
  const started = Date.now();
  await run('npx', ['serverless', 'package', '--stage', 'ci', '--package', out, ...extraArgs], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none' },
    timeout: 120_000,
  });
  console.info(`serverless package ${extraArgs.join(' ')}: ${Date.now() - started} ms`);
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Resources };
  return { out, resources: template.Resources };
}

describe('the deployment package', () => {
  it('bundles each function alone and compiles the schedule, alarms, least-privilege IAM and dashboard', async () => {
    const { out, resources: r } = await packageInto();
    for (const fn of ['tick', 'manual']) {
      const zip = readFileSync(join(out, `${fn}.zip`));
      expect(zip.length).toBeGreaterThan(100_000);
      // A CommonJS bundle named .cjs: the Lambda runtime loads <handler>.cjs when there is no .js.
      expect(zip.includes(`functions/${fn}.cjs`)).toBe(true);
      expect(zip.includes(`functions/${fn}.js`)).toBe(false);
      console.info(`${fn}.zip: ${(statSync(join(out, `${fn}.zip`)).size / 1024).toFixed(0)} KiB`);
    }
    expect(r.TickLambdaFunction?.Properties).toMatchObject({ Runtime: 'nodejs22.x', ReservedConcurrentExecutions: 1, Handler: 'functions/tick.handler' });
    expect(Object.values(r).some((x) => x.Type === 'AWS::Events::Rule' && x.Properties.ScheduleExpression === 'rate(1 minute)')).toBe(true);
    const alarms = Object.values(r).filter((x) => x.Type === 'AWS::CloudWatch::Alarm').map((x) => x.Properties.MetricName);
    expect(alarms.sort()).toEqual(['FailedMembers', 'ObserverShortfall', 'QuorumMargin', 'TickFailed']);
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
    const policy = JSON.stringify(r.IamRoleLambdaExecution?.Properties);
    expect(policy).toContain('ec2:ResourceTag/zk-autoscaler:cluster');
    expect(policy).toContain('aws:RequestTag/zk-autoscaler:cluster');
    expect(policy).toContain('parameter/zk-autoscaler/*');
    expect(policy).not.toMatch(/"Action":\s*"ssm:\*"|"ec2:\*"/);
  }, 180_000);

  it('reserves no concurrency for the tick with tickReservedConcurrency=none (0 would throttle it completely)', async () => {
    const { resources: r } = await packageInto(['--param=tickReservedConcurrency=none']);
    expect(r.TickLambdaFunction?.Properties).toMatchObject({ Handler: 'functions/tick.handler' });
    expect(r.TickLambdaFunction?.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  }, 180_000);
});
