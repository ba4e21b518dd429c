import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';

// Least privilege, proven from what CI ships: the CloudFormation template `serverless package` writes.
// checkIam compares every statement of both roles with the policy below, exactly (Effect, Action,
// Resource, Condition; no substring matching), and applies rules that hold whatever the table says
// (no wildcard action, `*` only where AWS has no resource-level permissions, PassRole only to EC2,
// nothing that acts on servers for `manual`, the super password never writable). The check itself
// is tested on every run: each widening below, applied to a copy of the real template, is caught.

const run = promisify(execFile);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: Json;
  Condition?: Record<string, Record<string, Json>>;
}
interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

const STAGE = 'ci';
const DEPLOYMENT = `zk-autoscaler-${STAGE}`;
const LAUNCH_TEMPLATE = 'lt-0abc1234567890def';
const INSTANCE_ROLE = 'arn:aws:iam::123456789012:role/zk-server';
const PARAMS = [`--param=launchTemplateId=${LAUNCH_TEMPLATE}`, `--param=instanceRoleArn=${INSTANCE_ROLE}`];

const sub = (text: string): Json => ({ 'Fn::Sub': text });
const PREFIX = `/zk-autoscaler/${DEPLOYMENT}`;
const param = (path: string): Json => sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${PREFIX}${path}`);
const ec2Arn = (resource: string): Json => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${resource}`);
const TEMPLATE_ARN = ec2Arn(`launch-template/${LAUNCH_TEMPLATE}`);
const TICK_QUEUE: Json = { 'Fn::GetAtt': ['TickQueue', 'Arn'] };
const FAILED_EVENTS_QUEUE: Json = { 'Fn::GetAtt': ['TickFailedEventsQueue', 'Arn'] };
const logs = (fn: string): Json => sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${DEPLOYMENT}-${fn}:*`);

/** Statements both roles carry. */
function common(fn: string): Statement[] {
  return [
    { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logs(fn) },
    {
      Sid: 'LambdaVpcNetworkInterfaces',
      Effect: 'Allow',
      Action: ['ec2:AssignPrivateIpAddresses', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:UnassignPrivateIpAddresses'],
      Resource: '*',
    },
    { Sid: 'ReadClusters', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: param('/*') },
    { Sid: 'SuperPasswordIsReadOnly', Effect: 'Deny', Action: ['ssm:DeleteParameter', 'ssm:DeleteParameters', 'ssm:LabelParameterVersion', 'ssm:PutParameter'], Resource: param('/*/super-password') },
    { Sid: 'DescribeHasNoResourceLevelPermissions', Effect: 'Allow', Action: ['ec2:DescribeInstanceStatus', 'ec2:DescribeInstances'], Resource: '*' },
    { Sid: 'GetMetricDataHasNoResourceLevelPermissions', Effect: 'Allow', Action: ['cloudwatch:GetMetricData'], Resource: '*' },
  ];
}

/** The policy of each role, as it must be. */
export const EXPECTED: Record<'TickRole' | 'ManualRole', Statement[]> = {
  TickRole: [
    ...common('tick'),
    {
      Sid: 'DecryptOnlyTheSuperPasswordViaSsm',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:ViaService': sub('ssm.${AWS::Region}.amazonaws.com') },
        StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${PREFIX}/*/super-password`) },
      },
    },
    { Sid: 'ListClusters', Effect: 'Allow', Action: ['ssm:GetParametersByPath'], Resource: param('') },
    { Sid: 'ReadLeaseAndRequestsHistory', Effect: 'Allow', Action: ['ssm:GetParameterHistory'], Resource: [param('/*/lease'), param('/*/requests')] },
    {
      Sid: 'WriteStateLeaseRequestsAndConnectStrings',
      Effect: 'Allow',
      Action: ['ssm:PutParameter'],
      Resource: [param('/*/state'), param('/*/lease'), param('/*/requests'), param('/*/connect-string'), param('/*/connect-string-read-mostly')],
    },
    { Sid: 'LaunchThroughTheTemplate', Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: TEMPLATE_ARN },
    {
      Sid: 'LaunchResourcesOnlyThroughTheTemplate',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: [ec2Arn('subnet/*'), ec2Arn('security-group/*'), ec2Arn('network-interface/*'), ec2Arn('volume/*'), sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*')],
      Condition: { ArnEquals: { 'ec2:LaunchTemplate': TEMPLATE_ARN } },
    },
    {
      Sid: 'LaunchOnlyInstancesTaggedForThisDeployment',
      Effect: 'Allow',
      Action: ['ec2:RunInstances'],
      Resource: ec2Arn('instance/*'),
      Condition: {
        ArnEquals: { 'ec2:LaunchTemplate': TEMPLATE_ARN },
        StringEquals: { 'aws:RequestTag/zk-autoscaler:deployment': DEPLOYMENT },
        StringLike: { 'aws:RequestTag/zk-autoscaler:cluster': '?*' },
      },
    },
    {
      Sid: 'TagInstancesOnlyAtLaunch',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: ec2Arn('instance/*'),
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances', 'aws:RequestTag/zk-autoscaler:deployment': DEPLOYMENT } },
    },
    { Sid: 'TagVolumesOnlyAtLaunch', Effect: 'Allow', Action: ['ec2:CreateTags'], Resource: ec2Arn('volume/*'), Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } } },
    {
      Sid: 'TerminateOnlyThisDeploymentsInstances',
      Effect: 'Allow',
      Action: ['ec2:TerminateInstances'],
      Resource: ec2Arn('instance/*'),
      Condition: { StringEquals: { 'ec2:ResourceTag/zk-autoscaler:deployment': DEPLOYMENT } },
    },
    {
      Sid: 'ReadConsoleOfThisDeploymentsInstances',
      Effect: 'Allow',
      Action: ['ec2:GetConsoleOutput'],
      Resource: ec2Arn('instance/*'),
      Condition: { StringEquals: { 'ec2:ResourceTag/zk-autoscaler:deployment': DEPLOYMENT } },
    },
    { Sid: 'QueueTicks', Effect: 'Allow', Action: ['sqs:GetQueueUrl', 'sqs:SendMessage'], Resource: TICK_QUEUE },
    { Sid: 'ReceiveTicks', Effect: 'Allow', Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], Resource: TICK_QUEUE },
    { Sid: 'KeepFailedEvents', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: FAILED_EVENTS_QUEUE },
    { Sid: 'PassTheServerRoleToEc2Only', Effect: 'Allow', Action: ['iam:PassRole'], Resource: INSTANCE_ROLE, Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } },
  ],
  ManualRole: [
    ...common('manual'),
    { Sid: 'ReadRequestsHistory', Effect: 'Allow', Action: ['ssm:GetParameterHistory'], Resource: param('/*/requests') },
    { Sid: 'WriteSpecAndRequests', Effect: 'Allow', Action: ['ssm:PutParameter'], Resource: [param('/*/spec'), param('/*/requests')] },
  ],
};

/** Resource `*` only for these: AWS offers no resource-level permission for their actions (or, for
 * KMS, the key is the operator's, and the condition names the parameter). */
const STAR_ALLOWED = new Set(['LambdaVpcNetworkInterfaces', 'DecryptOnlyTheSuperPasswordViaSsm', 'DescribeHasNoResourceLevelPermissions', 'GetMetricDataHasNoResourceLevelPermissions']);
/** What `manual` never does: it reads, or records intent for the next tick. */
const NOT_FOR_MANUAL = ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'kms:Decrypt', 'ec2:RunInstances', 'ec2:TerminateInstances', 'ec2:CreateTags', 'ec2:GetConsoleOutput', 'iam:PassRole', 'ssm:DeleteParameter', 'ssm:DeleteParameters'];
const FUNCTIONS: Record<string, 'TickRole' | 'ManualRole'> = { TickLambdaFunction: 'TickRole', ManualLambdaFunction: 'ManualRole' };

const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const key = (x: unknown): string => JSON.stringify(x);
const sorted = (xs: unknown[]): string[] => xs.map(key).sort();

function statementsOf(role: { Properties: Record<string, unknown> }): Statement[] {
  const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** Every way the template's IAM differs from least privilege; empty when it is exact. */
export function checkIam(template: Template): string[] {
  const v: string[] = [];
  const r = template.Resources;
  for (const [id, res] of Object.entries(r)) {
    if (['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::User', 'AWS::IAM::Group'].includes(res.Type)) v.push(`${id}: ${res.Type} is not expected`);
    if (res.Type === 'AWS::IAM::Role' && !(id in EXPECTED)) v.push(`${id}: a role not in the expected policy`);
  }
  for (const [fn, role] of Object.entries(FUNCTIONS)) {
    const got = r[fn]?.Properties.Role;
    if (key(got) !== key({ 'Fn::GetAtt': [role, 'Arn'] })) v.push(`${fn}: runs with ${key(got)}, not its own role ${role}`);
  }
  for (const [roleId, expected] of Object.entries(EXPECTED)) {
    const role = r[roleId];
    if (!role || role.Type !== 'AWS::IAM::Role') {
      v.push(`${roleId}: missing`);
      continue;
    }
    const trust = role.Properties.AssumeRolePolicyDocument as { Statement: { Principal: unknown; Action: unknown; Effect: string }[] } | undefined;
    if (key(trust?.Statement) !== key([{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }])) v.push(`${roleId}: trusted by ${key(trust?.Statement)}, not by Lambda alone`);
    for (const extra of ['ManagedPolicyArns', 'PermissionsBoundary']) if (role.Properties[extra] !== undefined) v.push(`${roleId}: ${extra} is not expected (${key(role.Properties[extra])})`);
    const actual = statementsOf(role);
    // Exact: one statement per Sid, each field equal.
    const bySid = new Map<string, Statement>();
    for (const s of actual) {
      if (!s.Sid) v.push(`${roleId}: a statement without a Sid: ${key(s)}`);
      else if (bySid.has(s.Sid)) v.push(`${roleId}: Sid ${s.Sid} twice`);
      else bySid.set(s.Sid, s);
    }
    for (const want of expected) {
      const sid = want.Sid ?? '';
      const got = bySid.get(sid);
      if (!got) {
        v.push(`${roleId}.${sid}: missing`);
        continue;
      }
      if (got.Effect !== want.Effect) v.push(`${roleId}.${sid}: Effect ${got.Effect}, expected ${want.Effect}`);
      if (key(sorted(list(got.Action))) !== key(sorted(list(want.Action)))) v.push(`${roleId}.${sid}: Action ${key(got.Action)}, expected ${key(want.Action)}`);
      if (key(sorted(list(got.Resource))) !== key(sorted(list(want.Resource)))) v.push(`${roleId}.${sid}: Resource ${key(got.Resource)}, expected ${key(want.Resource)}`);
      if (key(got.Condition ?? null) !== key(want.Condition ?? null)) v.push(`${roleId}.${sid}: Condition ${key(got.Condition)}, expected ${key(want.Condition)}`);
      for (const field of Object.keys(got)) if (!['Sid', 'Effect', 'Action', 'Resource', 'Condition'].includes(field)) v.push(`${roleId}.${sid}: unexpected field ${field}`);
    }
    for (const sid of bySid.keys()) if (!expected.some((s) => s.Sid === sid)) v.push(`${roleId}.${sid}: not in the expected policy`);
    // Rules that hold whatever the table says.
    for (const s of actual) {
      const at = `${roleId}.${s.Sid ?? '?'}`;
      const actions = list(s.Action);
      const resources = list(s.Resource);
      for (const a of actions) if (a.includes('*')) v.push(`${at}: wildcard action ${a}`);
      if (s.Effect === 'Allow' && resources.some((x) => x === '*') && !STAR_ALLOWED.has(s.Sid ?? '')) v.push(`${at}: Resource "*" where AWS allows scoping`);
      if (s.Effect !== 'Allow') continue;
      if (actions.includes('iam:PassRole') && key(s.Condition) !== key({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } })) v.push(`${at}: PassRole without iam:PassedToService ec2.amazonaws.com`);
      if (actions.includes('ec2:RunInstances')) {
        const viaTemplate = key(s.Condition?.ArnEquals?.['ec2:LaunchTemplate']) === key(TEMPLATE_ARN);
        if (!viaTemplate && key(resources) !== key([TEMPLATE_ARN])) v.push(`${at}: RunInstances not bound to the launch template`);
      }
      if (actions.some((a) => ['ec2:TerminateInstances', 'ec2:GetConsoleOutput'].includes(a)) && s.Condition?.StringEquals?.['ec2:ResourceTag/zk-autoscaler:deployment'] !== DEPLOYMENT) v.push(`${at}: acts on instances of other deployments`);
      if (actions.includes('ec2:CreateTags') && s.Condition?.StringEquals?.['ec2:CreateAction'] !== 'RunInstances') v.push(`${at}: tags existing resources`);
      if (actions.includes('ssm:PutParameter')) {
        for (const res of resources) {
          const arn = key(res);
          if (!/\/\*\/(state|lease|requests|spec|connect-string|connect-string-read-mostly)"/.test(arn)) v.push(`${at}: PutParameter on ${arn}, which can reach the super password`);
          if (roleId === 'ManualRole' && /\/(state|lease)"/.test(arn)) v.push(`${at}: manual writes ${arn}`);
        }
      }
      if (actions.some((a) => a.startsWith('sqs:')) && key(resources) !== key([TICK_QUEUE]) && !(key(actions) === key(['sqs:SendMessage']) && key(resources) === key([FAILED_EVENTS_QUEUE]))) {
        v.push(`${at}: SQS beyond this deployment's tick queue`);
      }
      if (roleId === 'ManualRole') for (const a of actions) if (NOT_FOR_MANUAL.includes(a)) v.push(`${at}: manual is allowed ${a}`);
    }
    if (!actual.some((s) => s.Effect === 'Deny' && list(s.Action).includes('ssm:PutParameter') && key(list(s.Resource)) === key([param('/*/super-password')]))) v.push(`${roleId}: the super password is not denied to PutParameter`);
  }
  return v;
}

/** `serverless package` into a fresh directory; its update template. */
async function packageTemplate(args: string[]): Promise<Template> {
  const out = mkdtempSync(join(inject('testRoot'), 'iam-'));
  const started = Date.now();
  await run('npx', ['serverless', 'package', '--stage', STAGE, '--package', out, ...args], {
    // serverless-esbuild leaves a 2.5 MB zip folder per function in TMPDIR (its cleanup is not
    // recursive): in the test root, which the run removes.
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', TMPDIR: inject('testRoot') },
    timeout: 120_000,
  });
  console.info(`serverless package ${args.join(' ')}: ${Date.now() - started} ms`);
  return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

/** A copy of the template with one role's statement changed. */
function doctored(template: Template, role: string, change: (statements: Statement[]) => void): Template {
  const copy = structuredClone(template);
  const r = copy.Resources[role];
  if (!r) throw new Error(`no ${role}`);
  const policies = r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  const first = policies[0];
  if (!first) throw new Error(`${role} has no policy`);
  change(first.PolicyDocument.Statement);
  return copy;
}
const statement = (statements: Statement[], sid: string): Statement => {
  const s = statements.find((x) => x.Sid === sid);
  if (!s) throw new Error(`no statement ${sid}`);
  return s;
};

describe('IAM of the deployment package', () => {
  let template: Template;
  beforeAll(async () => {
    template = await packageTemplate(PARAMS);
  }, 120_000);

  it('gives tick and manual each its own role, with exactly the statements they need', () => {
    expect(checkIam(template)).toEqual([]);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it.each<[string, (t: Template) => Template, RegExp]>([
    ['a statement widened to Resource "*"', (t) => doctored(t, 'TickRole', (s) => void (statement(s, 'TerminateOnlyThisDeploymentsInstances').Resource = '*')), /TerminateOnlyThisDeploymentsInstances: Resource "\*" where AWS allows scoping/],
    ['PassRole without iam:PassedToService', (t) => doctored(t, 'TickRole', (s) => void delete statement(s, 'PassTheServerRoleToEc2Only').Condition), /PassRole without iam:PassedToService/],
    ['manual given RunInstances', (t) => doctored(t, 'ManualRole', (s) => void s.push({ ...statement(EXPECTED.TickRole, 'LaunchThroughTheTemplate') })), /manual is allowed ec2:RunInstances/],
    ['a wildcard action', (t) => doctored(t, 'ManualRole', (s) => void (statement(s, 'ReadClusters').Action = ['ssm:*'])), /wildcard action ssm:\*/],
    ['the super password writable', (t) => doctored(t, 'TickRole', (s) => void (statement(s, 'WriteStateLeaseRequestsAndConnectStrings').Resource = param('/*'))), /PutParameter on .*can reach the super password/],
    ['the Deny on the super password dropped', (t) => doctored(t, 'ManualRole', (s) => void s.splice(s.indexOf(statement(s, 'SuperPasswordIsReadOnly')), 1)), /super password is not denied/],
    ['RunInstances on subnets and images without the template', (t) => doctored(t, 'TickRole', (s) => void delete statement(s, 'LaunchResourcesOnlyThroughTheTemplate').Condition), /RunInstances not bound to the launch template/],
    ['TerminateInstances without the deployment tag', (t) => doctored(t, 'TickRole', (s) => void (statement(s, 'TerminateOnlyThisDeploymentsInstances').Condition = { StringLike: { 'ec2:ResourceTag/zk-autoscaler:cluster': '?*' } })), /acts on instances of other deployments/],
    ['manual writing the state', (t) => doctored(t, 'ManualRole', (s) => void list(statement(s, 'WriteSpecAndRequests').Resource as Json[]).push(param('/*/state'))), /manual writes/],
    ['GetConsoleOutput on every instance', (t) => doctored(t, 'TickRole', (s) => void delete statement(s, 'ReadConsoleOfThisDeploymentsInstances').Condition), /acts on instances of other deployments/],
    ['CreateTags on existing instances', (t) => doctored(t, 'TickRole', (s) => void (statement(s, 'TagInstancesOnlyAtLaunch').Condition = { StringEquals: { 'aws:RequestTag/zk-autoscaler:deployment': DEPLOYMENT } })), /tags existing resources/],
    ['one role for both functions', (t) => {
      const copy = structuredClone(t);
      const manual = copy.Resources.ManualLambdaFunction;
      if (manual) manual.Properties.Role = { 'Fn::GetAtt': ['TickRole', 'Arn'] };
      return copy;
    }, /ManualLambdaFunction: runs with .*TickRole/],
    ['SQS on every queue', (t) => doctored(t, 'TickRole', (s) => void (statement(s, 'QueueTicks').Resource = sub('arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:*'))), /SQS beyond this deployment's tick queue/],
    ['a managed policy attached', (t) => {
      const copy = structuredClone(t);
      const tick = copy.Resources.TickRole;
      if (tick) tick.Properties.ManagedPolicyArns = ['arn:aws:iam::aws:policy/AdministratorAccess'];
      return copy;
    }, /ManagedPolicyArns is not expected/],
  ])('catches %s', (_name, widen, violation) => {
    const violations = checkIam(widen(template));
    expect(violations.some((x) => violation.test(x)), violations.join('\n')).toBe(true);
    expect(checkIam(template)).toEqual([]); // the real template is untouched
  });
});

describe('deployment parameters', () => {
  it('refuse a wildcard or missing launch template, a wildcard server role and a malformed deployment id, naming the parameter', async () => {
    const refused = async (args: string[]): Promise<string> => {
      const err = await packageTemplate(args).then(() => undefined, (e: unknown) => e as { stdout?: string; stderr?: string });
      expect(err, args.join(' ')).toBeDefined();
      return `${err?.stdout ?? ''}${err?.stderr ?? ''}`;
    };
    expect(await refused([`--param=instanceRoleArn=${INSTANCE_ROLE}`])).toContain('launchTemplateId is required');
    expect(await refused(['--param=launchTemplateId=lt-*', `--param=instanceRoleArn=${INSTANCE_ROLE}`])).toContain('launchTemplateId must be one launch template id');
    expect(await refused([`--param=launchTemplateId=${LAUNCH_TEMPLATE}`, '--param=instanceRoleArn=arn:aws:iam::*:role/zk-autoscaler-server-*'])).toContain('instanceRoleArn must be one role ARN');
    expect(await refused([...PARAMS, '--param=deploymentId=Prod_1'])).toContain('deploymentId must be');
  }, 120_000);
});
