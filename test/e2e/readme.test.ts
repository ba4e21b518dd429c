import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { renderUserData } from '../../lib/adapters/aws/index.js';
import { memberAt, renderServerFiles } from '../../lib/core/index.js';
import { ClusterSpecSchema } from '../../lib/config/index.js';
import { superDigest } from '../../lib/zk/index.js';
import { loopbackSubnets, startAwsWorld, type AwsWorld } from '../support/awsWorld/index.js';
import { waitFor } from '../support/wait.js';

// The README's walkthroughs for getting a cluster under management on AWS, run as written against
// the AWS test world: its orders.json, its shell lines (`npx zk-autoscaler` is this package's bin;
// the AWS CLI is not installed here, so its one `aws ssm put-parameter` goes through the SDK with
// the same name, type and kind of value), and its output, addresses aside.

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced block that follows `<!-- ci: <name> ... -->`. */
function block(name: string): string {
  const at = README.indexOf(`<!-- ci: ${name}`);
  const fenced = /```[a-z]*\n([\s\S]*?)```/.exec(README.slice(at));
  if (at < 0 || !fenced?.[1]) throw new Error(`README: no block marked "ci: ${name}"`);
  return fenced[1];
}

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the walkthrough's lines in `cwd`; returns each `npx zk-autoscaler` line's result. */
async function walk(lines: string, world: AwsWorld, cwd: string, replace: (line: string) => string = (l) => l): Promise<Run[]> {
  const env: Record<string, string> = {};
  const runs: Run[] = [];
  for (const line of lines.trim().split('\n').map(replace)) {
    if (line.startsWith('export ')) {
      for (const assignment of line.slice('export '.length).split(' ')) {
        const [name = '', value = ''] = assignment.split('=');
        env[name] = value;
      }
    } else if (line.startsWith('aws ssm put-parameter ')) {
      const name = /--name (\S+)/.exec(line)?.[1];
      expect(line).toContain('--type SecureString --value "$(openssl rand -base64 24)"');
      await new SSMClient(world.clientConfig).send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: randomBytes(24).toString('base64') }));
    } else if (line.startsWith('npx zk-autoscaler ')) {
      runs.push(await bin(line.slice('npx zk-autoscaler '.length).split(' '), cwd, { ...world.env, ...env }));
    } else {
      throw new Error(`README walkthrough: a line this test cannot run: ${line}`);
    }
  }
  return runs;
}

function bin(args: readonly string[], cwd: string, env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'zk-autoscaler.js'), ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, out: out.trim(), err: withoutNodeWarning(err).trim() })));
}

/** The SDK warns on Node 20 that its 2027 releases need Node 22 (docs/aws-facts.md): not ours. */
function withoutNodeWarning(stderr: string): string {
  return stderr.replace(/\(node:\d+\) Warning: NodeVersionSupportWarning:[\s\S]*?\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n?/, '');
}

const addressless = (text: string): string => text.replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, '<address>').replace(/ +/g, ' ');

/** A world whose subnets are the README spec's, on loopback addresses. */
async function worldOfTheSpec(specText: string): Promise<AwsWorld> {
  const spec = ClusterSpecSchema.parse(JSON.parse(specText));
  const loopback = await loopbackSubnets(spec.zones.map((z) => z.name));
  return startAwsWorld({ subnets: loopback.map((s, i) => ({ ...s, subnetId: spec.zones[i]?.subnetId ?? s.subnetId })), dir: inject('testRoot') });
}

let world: AwsWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the README on AWS, as written (test world)', () => {
  it('creates a cluster with its create walkthrough, with the output it shows', async () => {
    const specText = block('orders.json');
    world = await worldOfTheSpec(specText);
    const cwd = mkdtempSync(join(inject('testRoot'), 'readme-'));
    writeFileSync(join(cwd, 'orders.json'), specText);
    const runs = await walk(block('create walkthrough'), world, cwd);
    expect(runs.map((r) => [r.code, r.err])).toEqual(runs.map(() => [0, '']));
    const created = runs.at(-1)?.out ?? '';
    console.info(`README create, as run:\n${created}`);
    expect(addressless(created)).toBe(addressless(block('create output').trim()));
  }, 120_000);

  it('adopts an ensemble started by hand with its adopt line, without a reconfig or a restart', async () => {
    const specText = block('orders.json');
    world = await worldOfTheSpec(specText);
    const spec = ClusterSpecSchema.parse(JSON.parse(specText));
    const cwd = mkdtempSync(join(inject('testRoot'), 'readme-'));
    writeFileSync(join(cwd, 'orders.json'), specText);
    const prefix = '/zk-autoscaler/zk-autoscaler-prod/orders';
    const password = randomBytes(24).toString('base64');
    await new SSMClient(world.clientConfig).send(new PutParameterCommand({ Name: `${prefix}/super-password`, Type: 'SecureString', Value: password }));
    expect((await bin(['spec', 'set', 'orders.json', '--target', 'aws', '--cluster', 'orders'], cwd, { ...world.env, ZK_AUTOSCALER_DEPLOYMENT: 'zk-autoscaler-prod' })).code).toBe(0);

    // An ensemble someone started by hand: one server per zone at .12 of its subnet, no tags of ours.
    const subnets = [...world.ec2.subnets.values()];
    const members = subnets.map((s, i) => memberAt(spec.zookeeper, i + 1, s.cidr.replace(/\.0\/24$/, '.12'), 'voter'));
    const ec2 = new EC2Client(world.clientConfig);
    for (const [i, m] of members.entries()) {
      const files = renderServerFiles({ cluster: 'legacy', settings: spec.zookeeper, allowEvenVoters: false, serverId: m.serverId, host: m.host, configDir: '/etc/zookeeper/conf', dataDir: '/var/lib/zookeeper', superDigest: superDigest(password), membership: { kind: 'initial', members } });
      await ec2.send(new RunInstancesCommand({ LaunchTemplate: { LaunchTemplateId: 'lt-0abc123', Version: '4' }, SubnetId: subnets[i]?.subnetId, PrivateIpAddress: m.host, MinCount: 1, MaxCount: 1, UserData: Buffer.from(renderUserData(files)).toString('base64') }));
    }
    const w = world;
    await waitFor('the hand-started instances running', async () => ([...w.ec2.instances.values()].every((x) => x.State?.Name === 'running') ? true : undefined), { timeoutMs: 30_000 });
    const pids = [...w.ec2.instances.keys()].map((id) => w.pidOf(id));

    const line = block('adopt walkthrough');
    const [adopt] = await walk(`export ZK_AUTOSCALER_DEPLOYMENT=zk-autoscaler-prod\n${line}`, world, cwd, (l) => l.replace('10.0.1.12', members[0]?.host ?? ''));
    expect(adopt?.err).toBe('');
    expect(adopt?.code).toBe(0);
    console.info(`README adopt, as run:\n${adopt?.out}`);
    const instanceless = (text: string): string => addressless(text).replace(/\bi-[0-9a-f]{8,17}\b/g, '<instance>');
    expect(instanceless(adopt?.out ?? '')).toBe(instanceless(block('adopt output').trim()));
    // Nothing restarted; the instances now carry the deployment's tags.
    expect([...w.ec2.instances.keys()].map((id) => w.pidOf(id))).toEqual(pids);
    expect([...w.ec2.instances.values()].every((x) => x.Tags?.some((t) => t.Key === 'zk-autoscaler:deployment' && t.Value === 'zk-autoscaler-prod'))).toBe(true);
    const status = await bin(['status', '--target', 'aws', '--cluster', 'orders', '--json'], cwd, { ...w.env, ZK_AUTOSCALER_DEPLOYMENT: 'zk-autoscaler-prod' });
    expect(JSON.parse(status.out)).toMatchObject({ voters: { count: 3, synced: 3 } });
  }, 120_000);
});
