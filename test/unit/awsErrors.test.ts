import { describe, expect, it } from 'vitest';
import { AwsAccessError, AwsCallError, awsCallError } from '../../lib/adapters/aws/awsErrors.js';

// How an SDK failure becomes our error: its kind steers the tick, its message is what gets logged.

const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { name, ...extra });

describe('awsCallError', () => {
  it.each([
    ['AccessDeniedException', 'ssm'],
    ['UnauthorizedOperation', 'ec2'],
    ['AuthFailure', 'ec2'],
    ['AccessDenied', 'cloudwatch'],
    ['UnrecognizedClientException', 'ssm'],
    ['InvalidClientTokenId', 'cloudwatch'],
    ['ExpiredTokenException', 'ssm'],
    ['CredentialsProviderError', 'ssm'],
  ])('makes %s from %s an access error, so a broken IAM policy fails the tick loudly', (code, service) => {
    const err = awsCallError(service, 'Op', 'res', sdkError(code, 'refused'));
    expect(err).toBeInstanceOf(AwsAccessError);
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.kind).toBe('access');
    expect(err.name).toBe('AwsAccessError');
    expect(err.code).toBe(code);
  });

  it('keeps throttling, server faults and network failures transient', () => {
    for (const e of [sdkError('ThrottlingException', 'Rate exceeded'), sdkError('InternalServerError', 'oops'), sdkError('Error', 'connect ECONNREFUSED 10.0.0.1:443', { code: 'ECONNREFUSED' })]) {
      expect(awsCallError('ssm', 'GetParameter', '/zk-autoscaler/orders/spec', e).kind).toBe('transient');
    }
  });

  it("puts the cause's code, message and attempts in the message and the context", () => {
    const reset = sdkError('TimeoutError', 'read ECONNRESET', { code: 'ECONNRESET', $metadata: { attempts: 2 } });
    const err = awsCallError('ssm', 'PutParameter', '/zk-autoscaler/orders/state', reset);
    expect(err.message).toBe('ssm PutParameter /zk-autoscaler/orders/state failed: TimeoutError (ECONNRESET: read ECONNRESET; 2 attempts)');
    expect(err.context).toEqual({ service: 'ssm', operation: 'PutParameter', resource: '/zk-autoscaler/orders/state', code: 'TimeoutError', cause: 'ECONNRESET: read ECONNRESET; 2 attempts' });
    expect(err.cause).toBe(reset);
    const refused = awsCallError('ec2', 'DescribeInstances', 'orders', sdkError('Error', 'connect ECONNREFUSED 10.0.0.1:443', { code: 'ECONNREFUSED' }));
    expect(refused.message).toBe('ec2 DescribeInstances orders failed: ECONNREFUSED (connect ECONNREFUSED 10.0.0.1:443)');
  });

  it('passes an error it already translated through unchanged', () => {
    const first = awsCallError('ec2', 'RunInstances', 'server 4', sdkError('UnauthorizedOperation', 'no'));
    expect(awsCallError('ec2', 'RunInstances', 'server 4', first)).toBe(first);
  });
});
