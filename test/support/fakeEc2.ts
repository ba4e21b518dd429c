import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type CreateTagsCommandInput,
  type DescribeInstancesCommandInput,
  type DescribeInstanceStatusCommandInput,
  type DescribeNetworkInterfacesCommandInput,
  type DescribeSubnetsCommandInput,
  type Filter,
  type Instance,
  type InstanceState,
  type RunInstancesCommandInput,
  type TerminateInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { createRequire } from 'node:module';
import { mockClient } from 'aws-sdk-client-mock';

// The CommonJS sinon that aws-sdk-client-mock itself loads: its matchers only work with its own stubs.
const sinon = createRequire(import.meta.url)('sinon') as typeof import('sinon');

// EC2's semantics behind an SDK mock, for the EC2 fleet's tests and for the AWS test world
// (test/support/awsWorld): a ClientToken returns the instance it first launched
// (IdempotentParameterMismatch when the parameters differ), subnets that have no capacity, each
// subnet in its availability zone with its CIDR, private IPs chosen or the lowest free one (AWS
// reserves each subnet's first four and last address; a terminated instance's address is free
// again), tag, state, address and id filters, paginated describes that may not show a new
// instance yet (reads are eventually consistent), terminated instances still listed for an hour,
// idempotent terminate, impaired status checks, console output, tags added later, and each live
// instance's primary interface. With an InstanceHost, instances really run: pending until the host
// booted the user data, shutting-down until it stopped them.

export interface FakeSubnet {
  readonly subnetId: string;
  readonly zone: string;
  /** `a.b.c.d/n` */
  readonly cidr: string;
}

/** What runs the instances; without one, an instance is only its record (`boot()` makes it running). */
export interface InstanceHost {
  /** Runs the instance's user data (decoded); EC2 shows it running once this settles. */
  boot(instanceId: string, privateIp: string, userData: string | undefined): Promise<void>;
  /** Stops it for good; EC2 shows it terminated once this settles. */
  terminate(instanceId: string): Promise<void>;
  /** What its console shows (the user data's output, then the server's log). */
  console(instanceId: string): string | undefined;
}

/** "Recently terminated instances may appear, usually less than one hour" (aws-facts.md §2.2). */
const TERMINATED_LISTED_MS = 60 * 60_000;
const STATE = {
  pending: { Name: 'pending', Code: 0 },
  running: { Name: 'running', Code: 16 },
  shuttingDown: { Name: 'shutting-down', Code: 32 },
  terminated: { Name: 'terminated', Code: 48 },
} as const satisfies Record<string, InstanceState>;
const INSTANCE_FILTERS = ['instance-state-name', 'private-ip-address', 'instance-id', 'subnet-id'];

function ec2Error(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: code, $metadata: {} });
}

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
  /** Console output per instance id, as GetConsoleOutput returns it (decoded), when no host runs it. */
  readonly consoles = new Map<string, string>();
  readonly subnets = new Map<string, FakeSubnet>();
  /** A new instance is missing from this many DescribeInstances answers after its launch. */
  describeLag = 0;
  /** DescribeInstances pages: this many reservations at most (small, so pagination is exercised),
   * or undefined for MaxResults as EC2 answers. */
  describePageSize: number | undefined = 2;
  terminatedListedMs = TERMINATED_LISTED_MS;
  /** EC2's request buckets, one per API (docs/aws-facts.md §2.3), on a clock: a call finding its
   * API's bucket empty answers RequestLimitExceeded. Off by default. */
  requestLimit: { ratePerSecond: number; burst: number; clock: () => number } | undefined;
  /** Calls refused by requestLimit, per API. */
  readonly throttled = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly unseen = new Map<string, number>();
  private readonly terminatedAt = new Map<string, number>();
  private readonly strictSubnets: boolean;
  private next = 1;

  /**
   * @param subnets the subnets with their zones and CIDRs; or, for command-level tests, each
   *   subnet's zone (`subnet-x` is in zone `x` unless given, with a made-up 10.0.n.0/24 CIDR).
   * @param host runs the instances (the test world's sandbox).
   */
  constructor(
    subnets: Readonly<Record<string, string>> | readonly FakeSubnet[] = {},
    private readonly host?: InstanceHost,
  ) {
    this.strictSubnets = Array.isArray(subnets);
    const list: readonly FakeSubnet[] = Array.isArray(subnets)
      ? subnets
      : Object.entries(subnets).map(([subnetId, zone], i) => ({ subnetId, zone, cidr: `10.0.${i + 1}.0/24` }));
    for (const s of list) this.subnets.set(s.subnetId, s);

    this.mock.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => this.run(input));
    this.mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      this.spend('DescribeInstances');
      return this.describe(input);
    });
    this.mock.on(TerminateInstancesCommand).callsFake((input: TerminateInstancesCommandInput) => {
      const targets = (input.InstanceIds ?? []).map((id) => this.known(id)); // one unknown id: none is terminated
      return {
        TerminatingInstances: targets.map((i) => {
          const previous = i.State;
          if (previous?.Name !== 'terminated' && previous?.Name !== 'shutting-down') this.terminate(i);
          return { InstanceId: i.InstanceId, PreviousState: previous, CurrentState: i.State };
        }),
      };
    });
    this.mock.on(GetConsoleOutputCommand).callsFake((input: { InstanceId?: string }) => {
      const id = this.known(input.InstanceId ?? '').InstanceId ?? '';
      const text = this.host?.console(id) ?? this.consoles.get(id);
      return { InstanceId: id, Timestamp: new Date(), ...(text !== undefined ? { Output: Buffer.from(text, 'utf8').toString('base64') } : {}) };
    });
    this.mock.on(DescribeInstanceStatusCommand).callsFake((input: DescribeInstanceStatusCommandInput) => {
      this.spend('DescribeInstanceStatus');
      if (input.Filters?.length) throw ec2Error('InvalidParameterValue', 'DescribeInstanceStatus filters are not modelled by the test world');
      if ((input.InstanceIds?.length ?? 0) > 100) throw ec2Error('InvalidParameterValue', 'At most 100 instance ids');
      const chosen = input.InstanceIds ? input.InstanceIds.map((id) => this.known(id)) : this.listed();
      // Running instances only, unless IncludeAllInstances.
      const shown = chosen.filter((i) => input.IncludeAllInstances || i.State?.Name === 'running');
      return {
        InstanceStatuses: shown.map((i) => {
          const checked = i.State?.Name === 'running';
          return {
            InstanceId: i.InstanceId,
            AvailabilityZone: i.Placement?.AvailabilityZone,
            InstanceState: i.State,
            SystemStatus: { Status: checked ? 'ok' : 'not-applicable' },
            InstanceStatus: { Status: !checked ? 'not-applicable' : this.impaired.has(i.InstanceId ?? '') ? 'impaired' : 'ok' },
          };
        }),
      };
    });
    this.mock.on(CreateTagsCommand).callsFake((input: CreateTagsCommandInput) => {
      const targets = (input.Resources ?? []).map((id) => this.known(id));
      for (const i of targets) {
        const tags = new Map((i.Tags ?? []).map((t) => [t.Key, t.Value]));
        for (const t of input.Tags ?? []) tags.set(t.Key, t.Value ?? '');
        i.Tags = [...tags].map(([Key, Value]) => ({ Key, Value }));
      }
      return {};
    });
    this.mock.on(DescribeSubnetsCommand).callsFake((input: DescribeSubnetsCommandInput) => {
      const chosen = input.SubnetIds ? input.SubnetIds.map((id) => this.subnet(id)) : [...this.subnets.values()];
      const matches = chosen.filter((s) =>
        (input.Filters ?? []).every((f) => {
          if (f.Name === 'subnet-id') return f.Values?.includes(s.subnetId);
          if (f.Name === 'availability-zone') return f.Values?.includes(s.zone);
          throw ec2Error('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
        }),
      );
      return {
        Subnets: matches.map((s) => ({
          SubnetId: s.subnetId,
          AvailabilityZone: s.zone,
          CidrBlock: s.cidr,
          VpcId: 'vpc-world',
          State: 'available',
          AvailableIpAddressCount: freeAddresses(s, this.addressesInUse()).length,
        })),
      };
    });
    this.mock.on(DescribeNetworkInterfacesCommand).callsFake((input: DescribeNetworkInterfacesCommandInput) => {
      if (input.NetworkInterfaceIds?.length) throw ec2Error('InvalidParameterValue', 'NetworkInterfaceIds are not modelled by the test world');
      // Each live instance's primary interface; a terminated instance's is gone.
      const live = [...this.instances.values()].filter((i) => i.State?.Name !== 'terminated' && i.PrivateIpAddress);
      const matches = live.filter((i) =>
        (input.Filters ?? []).every((f) => {
          if (f.Name === 'addresses.private-ip-address') return f.Values?.includes(i.PrivateIpAddress ?? '');
          if (f.Name === 'subnet-id') return f.Values?.includes(i.SubnetId ?? '');
          throw ec2Error('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
        }),
      );
      return {
        NetworkInterfaces: matches.map((i) => ({
          NetworkInterfaceId: `eni-${(i.InstanceId ?? '').slice(2)}`,
          SubnetId: i.SubnetId,
          AvailabilityZone: i.Placement?.AvailabilityZone,
          VpcId: 'vpc-world',
          InterfaceType: 'interface',
          Status: 'in-use',
          PrivateIpAddress: i.PrivateIpAddress,
          PrivateIpAddresses: [{ PrivateIpAddress: i.PrivateIpAddress, Primary: true }],
          Attachment: { InstanceId: i.InstanceId, DeviceIndex: 0, Status: 'attached' },
        })),
      };
    });
  }

  /** Moves every pending instance to running, as EC2 does within seconds (when no host runs them). */
  boot(): void {
    for (const i of this.instances.values()) if (i.State?.Name === 'pending') i.State = STATE.running;
  }

  private run(input: RunInstancesCommandInput): { Instances: Instance[] } {
    this.runs.push(input);
    const { ClientToken: token, ...params } = input;
    const known = token ? this.tokens.get(token) : undefined;
    if (known) {
      if (known.params !== JSON.stringify(params)) throw ec2Error('IdempotentParameterMismatch', `the client token ${token} was used with other parameters`);
      return { Instances: [this.instances.get(known.id) ?? {}] };
    }
    if (input.MinCount !== 1 || input.MaxCount !== 1) throw ec2Error('InvalidParameterValue', 'the test world launches one instance per call (MinCount = MaxCount = 1)');
    if (!input.LaunchTemplate && !input.ImageId) throw ec2Error('MissingParameter', 'The request must contain the parameter ImageId');
    const subnet = this.subnet(input.SubnetId);
    if (this.noCapacity.has(subnet.subnetId)) {
      throw ec2Error('InsufficientInstanceCapacity', `We currently do not have sufficient capacity in the Availability Zone you requested (${subnet.zone}).`);
    }
    const userData = input.UserData === undefined ? undefined : decodeUserData(input.UserData);
    const ip = this.address(subnet, input.PrivateIpAddress);
    const id = `i-${String(this.next++).padStart(8, '0')}`;
    const instance: Instance = {
      InstanceId: id,
      // EC2 keeps the token an instance was launched with (DescribeInstances shows it).
      ...(token ? { ClientToken: token } : {}),
      PrivateIpAddress: ip,
      State: STATE.pending,
      SubnetId: subnet.subnetId,
      VpcId: 'vpc-world',
      Placement: { AvailabilityZone: subnet.zone },
      LaunchTime: new Date(Date.now() + this.next),
      Tags: (input.TagSpecifications ?? []).filter((t) => (t.ResourceType ?? 'instance') === 'instance').flatMap((t) => t.Tags ?? []),
    };
    this.instances.set(id, instance);
    if (this.describeLag > 0) this.unseen.set(id, this.describeLag);
    if (token) this.tokens.set(token, { id, params: JSON.stringify(params) });
    void this.host?.boot(id, ip, userData).then(() => {
      if (instance.State?.Name === 'pending') instance.State = STATE.running;
    });
    return { Instances: [instance] };
  }

  /** One token of the API's bucket, or RequestLimitExceeded. */
  private spend(api: string): void {
    if (!this.requestLimit) return;
    const { ratePerSecond, burst, clock } = this.requestLimit;
    const now = clock();
    const b = this.buckets.get(api) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
    b.at = now;
    this.buckets.set(api, b);
    if (b.tokens < 1) {
      this.throttled.set(api, (this.throttled.get(api) ?? 0) + 1);
      throw ec2Error('RequestLimitExceeded', 'Request limit exceeded.');
    }
    b.tokens -= 1;
  }

  private describe(input: DescribeInstancesCommandInput): { Reservations: { ReservationId: string; OwnerId: string; Instances: Instance[] }[]; NextToken?: string } {
    if (input.MaxResults !== undefined && input.InstanceIds?.length) throw ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 1000)) {
      throw ec2Error('InvalidParameterValue', `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
    if (!input.NextToken) {
      for (const [id, left] of this.unseen) {
        if (left <= 1) this.unseen.delete(id);
        else this.unseen.set(id, left - 1);
      }
    }
    const chosen = input.InstanceIds ? input.InstanceIds.map((id) => this.known(id)) : this.listed();
    const visible = chosen.filter((i) => !this.unseen.has(i.InstanceId ?? ''));
    const matches = visible.filter((i) => (input.Filters ?? []).every((f) => matchesFilter(i, f)));
    const start = Number(input.NextToken ?? 0);
    const size = this.describePageSize ?? input.MaxResults ?? matches.length;
    return {
      Reservations: matches.slice(start, start + size).map((i) => ({ ReservationId: `r-${(i.InstanceId ?? '').slice(2)}`, OwnerId: '000000000000', Instances: [i] })),
      ...(start + size < matches.length ? { NextToken: String(start + size) } : {}),
    };
  }

  private terminate(i: Instance): void {
    const id = i.InstanceId ?? '';
    const done = (): void => {
      i.State = STATE.terminated;
      this.terminatedAt.set(id, Date.now());
    };
    if (!this.host) return done();
    i.State = STATE.shuttingDown;
    void this.host.terminate(id).then(done);
  }

  /** Instances EC2 still lists: terminated ones only for a while. */
  private listed(): Instance[] {
    const now = Date.now();
    return [...this.instances.values()].filter((i) => {
      const at = this.terminatedAt.get(i.InstanceId ?? '');
      return at === undefined || now - at < this.terminatedListedMs;
    });
  }

  private known(id: string): Instance {
    const i = this.instances.get(id);
    if (!i) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return i;
  }

  private subnet(id: string | undefined): FakeSubnet {
    if (id === undefined) throw ec2Error('MissingInput', 'No subnet given, and the test world has no default VPC');
    const found = this.subnets.get(id);
    if (found) return found;
    if (this.strictSubnets) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    const made = { subnetId: id, zone: id.replace(/^subnet-/, ''), cidr: `10.0.${this.subnets.size + 1}.0/24` };
    this.subnets.set(id, made);
    return made;
  }

  /** Addresses held by instances that are not terminated (an interface lives until then). */
  private addressesInUse(): Set<string> {
    return new Set([...this.instances.values()].filter((i) => i.State?.Name !== 'terminated').map((i) => i.PrivateIpAddress ?? ''));
  }

  private address(subnet: FakeSubnet, chosen: string | undefined): string {
    const inUse = this.addressesInUse();
    const free = freeAddresses(subnet, inUse);
    if (chosen === undefined) {
      const lowest = free[0];
      if (!lowest) throw ec2Error('InsufficientFreeAddressesInSubnet', `The subnet '${subnet.subnetId}' has no free addresses`);
      return lowest;
    }
    if (inUse.has(chosen)) throw ec2Error('InvalidIPAddress.InUse', `Address ${chosen} is in use.`);
    if (!usableAddresses(subnet).includes(chosen)) {
      throw ec2Error('InvalidParameterValue', `Address ${chosen} does not fall within the subnet's address range, or is one of the 5 addresses AWS reserves in ${subnet.cidr}`);
    }
    return chosen;
  }
}

function matchesFilter(i: Instance, f: Filter): boolean {
  const name = f.Name ?? '';
  const values = f.Values ?? [];
  if (name.startsWith('tag:')) return (i.Tags ?? []).some((t) => t.Key === name.slice(4) && values.includes(t.Value ?? ''));
  if (!INSTANCE_FILTERS.includes(name)) throw ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
  const value = { 'instance-state-name': i.State?.Name, 'private-ip-address': i.PrivateIpAddress, 'instance-id': i.InstanceId, 'subnet-id': i.SubnetId }[name];
  return values.includes(value ?? '');
}

/** RunInstances takes base64; raw text (the SDK does not encode it) is EC2's own error. */
function decodeUserData(base64: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) throw ec2Error('InvalidParameterValue', 'Invalid BASE64 encoding of user data');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > 16 * 1024) throw ec2Error('InvalidParameterValue', `User data is limited to 16384 bytes (got ${bytes.length})`);
  return bytes.toString('utf8');
}

/** Every address of the subnet but its first four and its last, which AWS reserves. */
function usableAddresses(subnet: FakeSubnet): string[] {
  const [base = '', bitsText = ''] = subnet.cidr.split('/');
  const bits = Number(bitsText);
  const first = base.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - bits);
  return Array.from({ length: Math.max(0, size - 5) }, (_, k) => {
    const n = first + 4 + k;
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  });
}

function freeAddresses(subnet: FakeSubnet, inUse: ReadonlySet<string>): string[] {
  return usableAddresses(subnet).filter((a) => !inUse.has(a));
}
