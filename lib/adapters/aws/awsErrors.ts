import { setTimeout as sleep } from 'node:timers/promises';
import { ControllerError } from '../../errors.js';

// AWS SDK errors stop here: throttling is retried with backoff, everything else becomes one of our
// typed errors carrying the service, the operation and the resource, and what the SDK said (a
// reset connection surfaces from the SDK as a bare `TimeoutError`; the cause's code and message are
// what tell an operator which it was).

/** An AWS call failed (after retries, for throttling). Made by {@link awsCallError}. */
export class AwsCallError extends ControllerError {
  readonly kind: 'transient' | 'access' = 'transient';

  constructor(
    readonly service: string,
    readonly operation: string,
    readonly resource: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    const detail = causeDetail(options?.cause, code);
    super(
      `${service} ${operation} ${resource} failed: ${code}${detail ? ` (${detail})` : ''}`,
      { service, operation, resource, code, ...(detail ? { cause: detail } : {}) },
      options,
    );
    this.name = 'AwsCallError';
  }
}

/** AWS refused our credentials or permissions (a broken IAM policy, a missing or expired role):
 * the next tick would be refused too, so the tick fails loudly and the access alarm fires. */
export class AwsAccessError extends AwsCallError {
  override readonly kind = 'access';

  constructor(service: string, operation: string, resource: string, code: string, options?: ErrorOptions) {
    super(service, operation, resource, code, options);
    this.name = 'AwsAccessError';
  }
}

// Error codes meaning "who you are, or what you may do, was refused", as SSM and CloudWatch (JSON
// and query protocols) and EC2 return them (AWS "Common Errors" and the EC2 error code list), plus
// the SDK's own error when no credentials could be found at all.
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation', // EC2: the IAM policy does not allow the action on the resource
  'NotAuthorized',
  'AuthFailure', // EC2: credentials could not be validated
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredToken',
  'ExpiredTokenException',
  'OptInRequired',
  'Blocked',
  'CredentialsProviderError',
]);

/** Our error for a failed AWS call: {@link AwsAccessError} for a refused identity or permission,
 * {@link AwsCallError} (transient) otherwise. An error already translated passes through. */
export function awsCallError(service: string, operation: string, resource: string, err: unknown): AwsCallError {
  if (err instanceof AwsCallError) return err;
  const code = errorCode(err);
  return ACCESS_DENIED.has(code) ? new AwsAccessError(service, operation, resource, code, { cause: err }) : new AwsCallError(service, operation, resource, code, { cause: err });
}

const CAUSE_MAX_CHARS = 300;

/** What the SDK said beyond the code: a network code (ECONNRESET), its message, how many attempts. */
function causeDetail(cause: unknown, code: string): string {
  if (!(cause instanceof Error)) return cause === undefined ? '' : String(cause).slice(0, CAUSE_MAX_CHARS);
  const networkCode = 'code' in cause && typeof cause.code === 'string' && cause.code !== code ? cause.code : undefined;
  const message = cause.message && cause.message !== code ? cause.message : undefined;
  const attempts = (cause as { $metadata?: { attempts?: unknown } }).$metadata?.attempts;
  const said = [networkCode, message].filter((x) => x !== undefined).join(': ');
  const parts = [said, typeof attempts === 'number' && attempts > 1 ? `${attempts} attempts` : ''].filter((x) => x !== '');
  return parts.join('; ').slice(0, CAUSE_MAX_CHARS);
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'SlowDown']);

/** The SDK's error code (its `name`), or a Node error's code (ECONNREFUSED) when its name says only "Error". */
export function errorCode(err: unknown): string {
  if (!err || typeof err !== 'object') return 'Unknown';
  const name = 'name' in err && typeof err.name === 'string' ? err.name : undefined;
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (name !== undefined && name !== 'Error') return name;
  return code ?? name ?? 'Unknown';
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
