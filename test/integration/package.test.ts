import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

// `serverless package` (osls + serverless-esbuild) builds the Lambda artifacts offline, with no AWS
// credentials: what CI ships is what this test looks at.

const run = promisify(execFile);

describe('the deployment package', () => {
  it('bundles each function alone and compiles the schedule, alarms, least-privilege IAM and dashboard', async () => {
    const out = mkdtempSync(join(inject('testRoot'), 'package-'));
    await run('npx', ['serverless', 'package', '--stage', 'ci', '--package', out], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none' },
      timeout: 120_000,
    });
    for (const fn of ['tick', 'manual']) {
      const size = statSync(join(out, `${fn}.zip`)).size;
      expect(size).toBeGreaterThan(100_000);
      console.info(`${fn}.zip: ${(size / 1024).toFixed(0)} KiB`);
    }
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const r = template.Resources;
    expect(r.TickLambdaFunction?.Properties).toMatchObject({ Runtime: 'nodejs22.x', ReservedConcurrentExecutions: 1, Handler: 'functions/tick.handler' });
    expect(Object.values(r).some((x) => x.Type === 'AWS::Events::Rule' && x.Properties.ScheduleExpression === 'rate(1 minute)')).toBe(true);
    const alarms = Object.values(r).filter((x) => x.Type === 'AWS::CloudWatch::Alarm').map((x) => x.Properties.MetricName);
    expect(alarms.sort()).toEqual(['FailedMembers', 'ObserverShortfall', 'QuorumMargin']);
    expect(r.AlarmsInvokeTick?.Properties).toMatchObject({ Principal: 'lambda.alarms.cloudwatch.amazonaws.com' });
    expect(r.Dashboard?.Type).toBe('AWS::CloudWatch::Dashboard');
    const policy = JSON.stringify(r.IamRoleLambdaExecution?.Properties);
    expect(policy).toContain('ec2:ResourceTag/zk-autoscaler:cluster');
    expect(policy).toContain('aws:RequestTag/zk-autoscaler:cluster');
    expect(policy).toContain('parameter/zk-autoscaler/*');
    expect(policy).not.toMatch(/"Action":\s*"ssm:\*"|"ec2:\*"/);
  }, 180_000);
});
