import {
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { createRequire } from 'node:module';
import { mockClient } from 'aws-sdk-client-mock';

// The CommonJS sinon that aws-sdk-client-mock itself loads: its matchers only work with its own stubs.
const sinon = createRequire(import.meta.url)('sinon') as typeof import('sinon');

// EC2's semantics behind an SDK mock: a ClientToken returns the instance it first launched
// (IdempotentParameterMismatch when the parameters differ), subnets that have no capacity, each
// subnet in its availability zone, tag and state filters, paginated describes that may not show a
// new instance yet (reads are eventually consistent), terminated instances still listed, idempotent
// terminate, impaired status checks, console output.

export class FakeEc2 {
  readonly client = new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  // A sandbox of its own: sinon's default one keeps every stub it ever made, with every call's
  // arguments, for as long as the process lives (thousands of simulated histories ran out of heap).
  readonly mock = mockClient(this.client, { sandbox: sinon.createSandbox() });
  readonly instances = new Map<string, Instance>();
  readonly tokens = new Map<string, { id: string; params: string }>();
  readonly noCapacity = new Set<string>();
  readonly impaired = new Set<string>();
  readonly runs: RunInstancesCommandInput[] = [];
  /** Console output per instance id, as GetConsoleOutput returns it (decoded). */
  readonly consoles = new Map<string, string>();
  /** A new instance is missing from this many DescribeInstances answers after its launch. */
  describeLag = 0;
  private readonly unseen = new Map<string, number>();
  private next = 1;

  /** @param subnets each subnet's availability zone; `subnet-x` is in zone `x` unless given. */
  constructor(private readonly subnets: Readonly<Record<string, string>> = {}) {
    this.mock.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => {
      this.runs.push(input);
      const { ClientToken: token, ...params } = input;
      const known = token ? this.tokens.get(token) : undefined;
      if (known) {
        if (known.params !== JSON.stringify(params)) throw Object.assign(new Error('mismatch'), { name: 'IdempotentParameterMismatch', $metadata: {} });
        return { Instances: [this.instances.get(known.id)] };
      }
      if (this.noCapacity.has(input.SubnetId ?? '')) throw Object.assign(new Error('no capacity'), { name: 'InsufficientInstanceCapacity', $metadata: {} });
      const id = `i-${String(this.next++).padStart(8, '0')}`;
      const instance: Instance = {
        InstanceId: id,
        // EC2 keeps the token an instance was launched with (DescribeInstances shows it).
        ...(token ? { ClientToken: token } : {}),
        PrivateIpAddress: `10.0.${this.next}.10`,
        State: { Name: 'pending', Code: 0 },
        SubnetId: input.SubnetId,
        Placement: { AvailabilityZone: this.subnets[input.SubnetId ?? ''] ?? (input.SubnetId ?? '').replace(/^subnet-/, '') },
        LaunchTime: new Date(Date.now() + this.next),
        Tags: input.TagSpecifications?.[0]?.Tags ?? [],
      };
      this.instances.set(id, instance);
      if (this.describeLag > 0) this.unseen.set(id, this.describeLag);
      if (token) this.tokens.set(token, { id, params: JSON.stringify(params) });
      return { Instances: [instance] };
    });
    this.mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      if (!input.NextToken) {
        for (const [id, left] of this.unseen) {
          if (left <= 1) this.unseen.delete(id);
          else this.unseen.set(id, left - 1);
        }
      }
      const visible = [...this.instances.values()].filter((i) => !this.unseen.has(i.InstanceId ?? ''));
      const matches = visible.filter((i) =>
        (input.Filters ?? []).every((f) => {
          if (f.Name === 'instance-state-name') return f.Values?.includes(i.State?.Name ?? '');
          if (f.Name?.startsWith('tag:')) return i.Tags?.some((t) => t.Key === f.Name?.slice(4) && f.Values?.includes(t.Value ?? ''));
          return true;
        }),
      );
      const start = Number(input.NextToken ?? 0);
      const size = 2; // small pages, so pagination is exercised
      return {
        Reservations: matches.slice(start, start + size).map((i) => ({ Instances: [i] })),
        NextToken: start + size < matches.length ? String(start + size) : undefined,
      };
    });
    this.mock.on(TerminateInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
      for (const id of input.InstanceIds ?? []) {
        const i = this.instances.get(id);
        if (i) i.State = { Name: 'terminated', Code: 48 };
      }
      return { TerminatingInstances: (input.InstanceIds ?? []).map((id) => ({ InstanceId: id })) };
    });
    this.mock.on(GetConsoleOutputCommand).callsFake((input: { InstanceId?: string }) => {
      const text = this.consoles.get(input.InstanceId ?? '');
      return { InstanceId: input.InstanceId, ...(text !== undefined ? { Output: Buffer.from(text, 'utf8').toString('base64') } : {}) };
    });
    this.mock.on(DescribeInstanceStatusCommand).callsFake((input: { InstanceIds?: string[] }) => ({
      InstanceStatuses: (input.InstanceIds ?? []).map((id) => ({
        InstanceId: id,
        SystemStatus: { Status: 'ok' },
        InstanceStatus: { Status: this.impaired.has(id) ? 'impaired' : 'ok' },
      })),
    }));
  }

  /** Moves every pending instance to running, as EC2 does within seconds. */
  boot(): void {
    for (const i of this.instances.values()) if (i.State?.Name === 'pending') i.State = { Name: 'running', Code: 16 };
  }
}
