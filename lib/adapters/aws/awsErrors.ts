import { setTimeout as sleep } from 'node:timers/promises';
import { ControllerError } from '../../errors.js';

// AWS SDK errors stop here: throttling is retried with backoff, everything else becomes one of our
// typed errors carrying the service, the operation and the resource.

/** An AWS call failed (after retries, for throttling). */
export class AwsCallError extends ControllerError {
  readonly kind = 'transient';

  constructor(
    readonly service: string,
    readonly operation: string,
    readonly resource: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`${service} ${operation} ${resource} failed: ${code}`, { service, operation, resource, code }, options);
    this.name = 'AwsCallError';
  }
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'SlowDown']);

export function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'name' in err && typeof err.name === 'string') return err.name;
  return 'Unknown';
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<unknown>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, sleep: (ms) => sleep(ms) };

/** Runs `call`, retrying throttling with exponential backoff and full jitter. */
export async function withThrottlingRetry<T>(policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!THROTTLING.has(errorCode(err)) || attempt >= policy.attempts) throw err;
      await policy.sleep(Math.random() * policy.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
