import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { SuperPasswords } from '../../ports/index.js';
import { AwsCallError, awsCallError, DEFAULT_RETRY, withThrottlingRetry, type RetryPolicy } from './awsErrors.js';

// Each cluster's super password, an SSM SecureString at `<prefix>/<cluster>/super-password`: its own
// port, so that nothing that reads state or spec can read it, and only the tick's role decrypts it.

/** It changes only with a rotation, which re-renders every server anyway: a warm container re-reads
 * it (one decryption) this often. */
const PASSWORD_KEPT_MS = 15 * 60_000;

/** The super password's shortest length: 24 characters (openssl rand -base64 24 gives 32). */
export const SUPER_PASSWORD_MIN_LENGTH = 24;

export class SsmSuperPasswords implements SuperPasswords {
  /** Read (and decrypted) at most once per PASSWORD_KEPT_MS per container. */
  private readonly kept = new Map<string, { value: string; readAt: number }>();

  constructor(
    private readonly ssm: SSMClient,
    private readonly prefix = '/zk-autoscaler',
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** A SecureString of at least SUPER_PASSWORD_MIN_LENGTH characters, or an InvalidInputError naming
   * the parameter (a plain String would sit unencrypted in SSM, its history and every read of the
   * path; a short one can be guessed from its digest offline). */
  async read(cluster: string): Promise<string> {
    const kept = this.kept.get(cluster);
    if (kept && this.clock() - kept.readAt < PASSWORD_KEPT_MS) return kept.value;
    const name = `${this.prefix}/${cluster}/super-password`;
    const out = await withThrottlingRetry(this.retry, () => this.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).catch((err: unknown) => {
      const error = awsCallError('ssm', 'GetParameter', name, err);
      if (error instanceof AwsCallError && error.code === 'ParameterNotFound') return undefined;
      throw error;
    });
    if (!out?.Parameter) throw new NotFoundError(`super password (SecureString parameter ${name}; create it with aws ssm put-parameter --type SecureString)`, { cluster, parameter: name });
    const { Type: type, Value: value = '' } = out.Parameter;
    const problems = [
      ...(type === 'SecureString' ? [] : [`type: must be SecureString (got ${JSON.stringify(type ?? 'none')}); recreate it with aws ssm put-parameter --type SecureString --overwrite`]),
      ...([...value].length >= SUPER_PASSWORD_MIN_LENGTH ? [] : [`value: must be at least ${SUPER_PASSWORD_MIN_LENGTH} characters (got ${[...value].length}), e.g. openssl rand -base64 24`]),
    ];
    if (problems.length > 0) throw new InvalidInputError(`super password parameter ${name}`, problems);
    this.kept.set(cluster, { value, readAt: this.clock() });
    return value;
  }
}
