import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  type GetParameterCommandInput,
  type GetParameterHistoryCommandInput,
  type GetParametersByPathCommandInput,
  type GetParametersCommandInput,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { createRequire } from 'node:module';
import { mockClient } from 'aws-sdk-client-mock';

// The CommonJS sinon that aws-sdk-client-mock itself loads: its matchers only work with its own stubs.
const sinon = createRequire(import.meta.url)('sinon') as typeof import('sinon');

// SSM Parameter Store's semantics behind an SDK mock, for the AWS adapter's contract and command
// tests and for the AWS test world (test/support/awsWorld): versions counting up from 1 on every
// write, create-if-absent (Overwrite=false), a type required to create, the standard tier's
// 4,096-character values, not-found, SecureString values encrypted unless read WithDecryption,
// paginated reads (at most 10 by path, 50 of history; pages may be short), 100 versions of
// history, and throttling on demand.

/** SSM's standard tier: "a maximum parameter value of 4096 characters" (its ValidationException). */
const STANDARD_VALUE_MAX = 4096;
/** GetParameters takes at most 10 names. */
const GET_PARAMETERS_MAX_NAMES = 10;
/** The largest MaxResults of GetParametersByPath and of GetParameterHistory. */
const BY_PATH_MAX_RESULTS = 10;
const HISTORY_MAX_RESULTS = 50;

function validation(message: string): Error {
  return Object.assign(new Error(message), { name: 'ValidationException', $metadata: {} });
}

/** SSM's own check of MaxResults, in its words. */
function checkMaxResults(maxResults: number | undefined, max: number): void {
  if (maxResults !== undefined && (maxResults < 1 || maxResults > max)) {
    throw validation(`1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value ${maxResults < 1 ? 'greater than or equal to 1' : `less than or equal to ${max}`}`);
  }
}

interface Version {
  readonly value: string;
  readonly version: number;
  readonly type: string;
}

export class FakeSsm {
  readonly client = new SSMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  // A sandbox of its own: sinon's default one keeps every stub it ever made, with every call's
  // arguments, for as long as the process lives (thousands of simulated histories ran out of heap).
  readonly mock = mockClient(this.client, { sandbox: sinon.createSandbox() });
  readonly params = new Map<string, Version[]>();
  /** The next N calls of these operations fail with ThrottlingException. */
  readonly throttle = new Map<string, number>();
  readonly writes: string[] = [];
  /** Runs before each PutParameter is applied: another writer getting in first. */
  beforePut: ((name: string) => void) | undefined;
  /** Pages shorter than MaxResults, as SSM's "best-effort" reads may be; off, pages are full. */
  shortPages = true;
  /** The account's read throughput (GetParameter, GetParameters, GetParametersByPath share it), on
   * a clock: a read finding the bucket empty answers ThrottlingException. Off by default. */
  readLimit: { ratePerSecond: number; burst: number; clock: () => number } | undefined;
  /** Reads refused by readLimit. */
  throttled = 0;
  private readTokens: { tokens: number; at: number } | undefined;

  constructor() {
    const throttled = (operation: string): void => {
      if (this.readLimit && ['GetParameter', 'GetParameters', 'GetParametersByPath'].includes(operation)) {
        const { ratePerSecond, burst, clock } = this.readLimit;
        const now = clock();
        const b = this.readTokens ?? { tokens: burst, at: now };
        b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
        b.at = now;
        this.readTokens = b;
        if (b.tokens < 1) {
          this.throttled++;
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
        }
        b.tokens -= 1;
      }
      const left = this.throttle.get(operation) ?? 0;
      if (left > 0) {
        this.throttle.set(operation, left - 1);
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
      }
    };
    const versionsOf = (name: string): Version[] => {
      const versions = this.params.get(name);
      if (!versions?.length) throw new ParameterNotFound({ message: `parameter ${name} not found`, $metadata: {} });
      return versions;
    };
    const latest = (name: string): Version => versionsOf(name).at(-1) as Version;
    const m = this.mock;
    /** A SecureString read without decryption gives its ciphertext, never the value. */
    const shown = (top: Version, decrypt: boolean | undefined): string =>
      top.type === 'SecureString' && !decrypt ? Buffer.from(`kms:alias/aws/ssm:v${top.version}:${top.value.length}`).toString('base64') : top.value;
    m.on(GetParameterCommand).callsFake((input: GetParameterCommandInput) => {
      throttled('GetParameter');
      const top = latest(input.Name ?? '');
      return { Parameter: { Name: input.Name, Value: shown(top, input.WithDecryption), Version: top.version, Type: top.type } };
    });
    // Names not found are listed in InvalidParameters, not an error.
    m.on(GetParametersCommand).callsFake((input: GetParametersCommandInput) => {
      throttled('GetParameters');
      const names = input.Names ?? [];
      if (names.length < 1 || names.length > GET_PARAMETERS_MAX_NAMES) {
        throw validation(`1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to ${GET_PARAMETERS_MAX_NAMES}`);
      }
      const found = names.filter((n) => this.params.get(n)?.length);
      return {
        Parameters: found.map((n) => ({ Name: n, Value: shown(latest(n), input.WithDecryption), Version: latest(n).version, Type: latest(n).type })),
        InvalidParameters: names.filter((n) => !found.includes(n)),
      };
    });
    m.on(PutParameterCommand).callsFake((input: PutParameterCommandInput) => {
      throttled('PutParameter');
      const name = input.Name ?? '';
      this.beforePut?.(name);
      const versions = this.params.get(name) ?? [];
      if (versions.length > 0 && !input.Overwrite) throw new ParameterAlreadyExists({ message: 'The parameter already exists.', $metadata: {} });
      if (versions.length === 0 && !input.Type) throw validation('A parameter type is required when you create a parameter.');
      if ((input.Tier ?? 'Standard') === 'Standard' && [...(input.Value ?? '')].length > STANDARD_VALUE_MAX) {
        throw validation(`Standard tier parameters support a maximum parameter value of ${STANDARD_VALUE_MAX} characters.`);
      }
      const version = (versions.at(-1)?.version ?? 0) + 1;
      versions.push({ value: input.Value ?? '', version, type: input.Type ?? versions.at(-1)?.type ?? 'String' });
      this.params.set(name, versions.slice(-100));
      this.writes.push(name);
      return { Version: version, Tier: 'Standard' };
    });
    m.on(GetParametersByPathCommand).callsFake((input: GetParametersByPathCommandInput) => {
      throttled('GetParametersByPath');
      checkMaxResults(input.MaxResults, BY_PATH_MAX_RESULTS);
      const under = `${(input.Path ?? '').replace(/\/$/, '')}/`;
      const names = [...this.params.keys()].filter((n) => n.startsWith(under) && (input.Recursive || !n.slice(under.length).includes('/'))).sort();
      const start = Number(input.NextToken ?? 0);
      const size = this.pageSize(input.MaxResults ?? BY_PATH_MAX_RESULTS, 3);
      const page = names.slice(start, start + size);
      return {
        Parameters: page.map((n) => ({ Name: n, Value: shown(latest(n), input.WithDecryption), Version: latest(n).version, Type: latest(n).type })),
        NextToken: start + size < names.length ? String(start + size) : undefined,
      };
    });
    m.on(GetParameterHistoryCommand).callsFake((input: GetParameterHistoryCommandInput) => {
      throttled('GetParameterHistory');
      checkMaxResults(input.MaxResults, HISTORY_MAX_RESULTS);
      const versions = versionsOf(input.Name ?? '');
      const start = Number(input.NextToken ?? 0);
      const size = this.pageSize(input.MaxResults ?? HISTORY_MAX_RESULTS, 4);
      return {
        Parameters: versions.slice(start, start + size).map((v) => ({ Name: input.Name, Value: shown(v, input.WithDecryption), Version: v.version, Type: v.type })),
        NextToken: start + size < versions.length ? String(start + size) : undefined,
      };
    });
  }

  private pageSize(maxResults: number, short: number): number {
    return this.shortPages ? Math.min(maxResults, short) : maxResults;
  }

  set(name: string, value: string, type = 'String'): void {
    const versions = this.params.get(name) ?? [];
    versions.push({ value, version: (versions.at(-1)?.version ?? 0) + 1, type });
    this.params.set(name, versions);
  }
}
