import fc from 'fast-check';

// The faults an adversarial history draws, one list per step, as plain data: fast-check shrinks
// them and a trace prints them. Victims and zones are indices, resolved against the world when
// the fault lands (modulo what exists then), so any shrunk history still replays.

export type Fault =
  /** RunInstances in this zone fails with InsufficientInstanceCapacity for a while. */
  | { readonly kind: 'no-capacity'; readonly zone: number; readonly minutes: number }
  /** Instances launched in the next minutes are missing from DescribeInstances for this long. */
  | { readonly kind: 'list-lag'; readonly seconds: number; readonly minutes: number }
  /** The next launch gets the private IP of a terminated instance. */
  | { readonly kind: 'address-reuse' }
  /** The next launch never boots, or runs a ZooKeeper without the reconfig fixes. */
  | { readonly kind: 'bad-joiner'; readonly how: 'never-boots' | 'old-version' }
  /** A zone goes dark: its instances are unreachable (EC2 says impaired) and it takes no launches. */
  | { readonly kind: 'zone-outage'; readonly zone: number; readonly minutes: number }
  /** A server hangs (alive, not answering), or its instance stops or is terminated by AWS. */
  | { readonly kind: 'server-down'; readonly victim: number; readonly how: 'hung' | 'stopped' | 'terminated' }
  /** Alarms (through the tick function) or operator reports (through the requests document). */
  | { readonly kind: 'alarm-storm'; readonly reports: number; readonly via: 'alarm' | 'operator'; readonly victim: number }
  /** This step's tick dies at its n-th call to the store or a port, before or after the call did its work. */
  | { readonly kind: 'controller-killed'; readonly atCall: number; readonly when: 'before' | 'after' }
  /** This step runs two invocations at once, with the same function name. */
  | { readonly kind: 'two-invocations' }
  /** SSM throttles the next calls of one operation (the store retries, then gives up). */
  | { readonly kind: 'ssm-throttled'; readonly operation: 'GetParameter' | 'PutParameter' | 'GetParameterHistory'; readonly calls: number }
  /** The operator changes the spec's sizes. */
  | { readonly kind: 'resize'; readonly voters: 3 | 5; readonly observers: number };

export interface HistoryStep {
  /** Seconds of fake time since the previous tick. */
  readonly dt: number;
  readonly faults: readonly Fault[];
}

export interface History {
  /** Seeds the world's own randomness (boot and sync delays, client host order, interleavings). */
  readonly seed: number;
  /** The spec's hotSpares (0 when absent): a spare is swapped in for a failed voter, and can fail too. */
  readonly hotSpares?: number;
  readonly steps: readonly HistoryStep[];
}

export const FAULT_KINDS = ['no-capacity', 'list-lag', 'address-reuse', 'bad-joiner', 'zone-outage', 'server-down', 'alarm-storm', 'controller-killed', 'two-invocations', 'ssm-throttled', 'resize'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const ARBITRARIES: Record<FaultKind, fc.Arbitrary<Fault>> = {
  'no-capacity': fc.record({ kind: fc.constant('no-capacity'), zone: fc.nat(2), minutes: fc.integer({ min: 1, max: 40 }) }),
  'list-lag': fc.record({ kind: fc.constant('list-lag'), seconds: fc.integer({ min: 5, max: 180 }), minutes: fc.integer({ min: 1, max: 30 }) }),
  'address-reuse': fc.constant({ kind: 'address-reuse' }),
  'bad-joiner': fc.record({ kind: fc.constant('bad-joiner'), how: fc.constantFrom('never-boots', 'old-version') }),
  'zone-outage': fc.record({ kind: fc.constant('zone-outage'), zone: fc.nat(2), minutes: fc.integer({ min: 2, max: 60 }) }),
  'server-down': fc.record({ kind: fc.constant('server-down'), victim: fc.nat(20), how: fc.constantFrom('hung', 'stopped', 'terminated') }),
  'alarm-storm': fc.record({ kind: fc.constant('alarm-storm'), reports: fc.integer({ min: 1, max: 12 }), via: fc.constantFrom('alarm', 'operator'), victim: fc.nat(20) }),
  'controller-killed': fc.record({ kind: fc.constant('controller-killed'), atCall: fc.nat(25), when: fc.constantFrom('before', 'after') }),
  'two-invocations': fc.constant({ kind: 'two-invocations' }),
  'ssm-throttled': fc.record({ kind: fc.constant('ssm-throttled'), operation: fc.constantFrom('GetParameter', 'PutParameter', 'GetParameterHistory'), calls: fc.integer({ min: 1, max: 8 }) }),
  resize: fc.record({ kind: fc.constant('resize'), voters: fc.constantFrom(3, 5), observers: fc.nat(2) }),
} as Record<FaultKind, fc.Arbitrary<Fault>>;

/** How often each kind is drawn, relative to the others. */
const WEIGHTS: Record<FaultKind, number> = {
  'no-capacity': 2,
  'list-lag': 2,
  'address-reuse': 2,
  'bad-joiner': 2,
  'zone-outage': 1,
  'server-down': 3,
  'alarm-storm': 2,
  'controller-killed': 3,
  'two-invocations': 3,
  'ssm-throttled': 2,
  resize: 1,
};

export interface HistoryShape {
  /** The fault kinds drawn (all by default): a campaign can stress one kind at a time. */
  readonly kinds?: readonly FaultKind[];
  readonly minSteps?: number;
  readonly maxSteps?: number;
  /** One step in this many carries faults, on average. */
  readonly faultEvery?: number;
}

export function arbFault(kinds: readonly FaultKind[] = FAULT_KINDS): fc.Arbitrary<Fault> {
  return fc.oneof(...kinds.map((k) => ({ weight: WEIGHTS[k], arbitrary: ARBITRARIES[k] })));
}

export function arbHistory(shape: HistoryShape = {}): fc.Arbitrary<History> {
  const faults = (shape.kinds ?? FAULT_KINDS).length === 0 ? fc.constant([]) : fc.oneof(
    { weight: (shape.faultEvery ?? 5) - 1, arbitrary: fc.constant<Fault[]>([]) },
    { weight: 1, arbitrary: fc.array(arbFault(shape.kinds), { minLength: 1, maxLength: 2 }) },
  );
  return fc.record({
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    // Half the histories keep no spare: the heal by launch is the one most clusters run.
    hotSpares: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }),
    steps: fc.array(fc.record({ dt: fc.integer({ min: 5, max: 60 }), faults }), { minLength: shape.minSteps ?? 50, maxLength: shape.maxSteps ?? 110 }),
  });
}

export function showFault(f: Fault): string {
  switch (f.kind) {
    case 'no-capacity':
      return `no-capacity zone#${f.zone} ${f.minutes}min`;
    case 'list-lag':
      return `list-lag ${f.seconds}s for ${f.minutes}min`;
    case 'address-reuse':
      return 'address-reuse';
    case 'bad-joiner':
      return `bad-joiner ${f.how}`;
    case 'zone-outage':
      return `zone-outage zone#${f.zone} ${f.minutes}min`;
    case 'server-down':
      return `server-down #${f.victim} ${f.how}`;
    case 'alarm-storm':
      return `alarm-storm ${f.reports}x ${f.via} #${f.victim}`;
    case 'controller-killed':
      return `controller-killed ${f.when} call ${f.atCall}`;
    case 'two-invocations':
      return 'two-invocations';
    case 'ssm-throttled':
      return `ssm-throttled ${f.operation} x${f.calls}`;
    case 'resize':
      return `resize voters=${f.voters} observers=${f.observers}`;
  }
}
