import { setTimeout as sleep } from 'node:timers/promises';

// Client-side rate budgets: AWS throttles per account and Region with token buckets (SSM's reads
// share one, EC2 has one per API), so the AWS adapters of a container take a token from a bucket of
// their own before every call they make (each of their retries included), sized at this
// container's share of the account's limit. With every container doing so, the account stays
// under its limits and throttling is the exception.

/** A token bucket: `ratePerSecond` tokens a second, at most `burst` kept. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Callers waiting, in order: a token is handed out first come, first served. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly wait: (ms: number) => Promise<unknown> = (ms) => sleep(ms),
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  /** Resolves once a token is ours. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.next());
    this.queue = turn;
    return turn;
  }

  private async next(): Promise<void> {
    for (;;) {
      const now = this.clock();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      // Whole milliseconds: a wait of a rounding error would never move a clock forward.
      await this.wait(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  }
}

/** One acting tick's SSM calls, kept as each container's burst: the claim, the state and the
 * release (and the reads around them) go at once, and only the rate is shared. With a burst of one,
 * a container's share of the writes (0.24 a second with 10 containers) made every acting tick of a
 * heal wait 8 s, a hot spare's swap included. Bursts of several containers at once are SSM's to
 * throttle, and the stores retry (awsErrors.ts). */
const ACTING_TICK_SSM = { reads: 6, writes: 3 } as const;

/** The account's limits, per Region, and how they are shared. */
export interface AccountLimits {
  readonly ssmReadsPerSecond: number;
  readonly ssmWritesPerSecond: number;
  readonly ec2DescribesPerSecond: number;
  readonly ec2DescribeBurst: number;
  /** The part of each limit the controller may use. */
  readonly share: number;
  /** Containers that may call at once: each gets this fraction of the share. */
  readonly containers: number;
}

/** SSM operations that count against the account's read throughput (GetParameterHistory is not
 * published; it is budgeted with them to be safe). */
const SSM_READS = new Set(['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory']);

/** One container's buckets: which one (if any) an operation of a service takes from. */
export class RateBudgets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: AccountLimits,
    private readonly clock?: () => number,
    private readonly wait?: (ms: number) => Promise<unknown>,
  ) {}

  /** Resolves when the operation may be called (at once for an operation with no budget). */
  async take(service: 'ssm' | 'ec2', operation: string): Promise<void> {
    await this.bucketFor(service, operation)?.take();
  }

  bucketFor(service: 'ssm' | 'ec2', operation: string): TokenBucket | undefined {
    const { limits } = this;
    const part = limits.share / limits.containers;
    if (service === 'ssm') {
      if (SSM_READS.has(operation)) return this.bucket('ssm:reads', limits.ssmReadsPerSecond * part, ACTING_TICK_SSM.reads);
      if (operation === 'PutParameter') return this.bucket('ssm:writes', limits.ssmWritesPerSecond * part, ACTING_TICK_SSM.writes);
      return undefined;
    }
    // EC2 keeps a bucket per API; the non-mutating ones (Describe*, Get*) are what a tick repeats.
    if (/^(Describe|Get)/.test(operation)) return this.bucket(`ec2:${operation}`, limits.ec2DescribesPerSecond * part, limits.ec2DescribeBurst * part);
    return undefined;
  }

  private bucket(key: string, rate: number, burst: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      // At least one token, or a container whose share is under one token could never call.
      bucket = new TokenBucket(rate, Math.max(1, burst), this.clock, this.wait);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
