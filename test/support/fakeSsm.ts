import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  type GetParameterCommandInput,
  type GetParameterHistoryCommandInput,
  type GetParametersByPathCommandInput,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { createRequire } from 'node:module';
import { mockClient } from 'aws-sdk-client-mock';

// The CommonJS sinon that aws-sdk-client-mock itself loads: its matchers only work with its own stubs.
const sinon = createRequire(import.meta.url)('sinon') as typeof import('sinon');

// SSM Parameter Store's semantics behind an SDK mock, for the AWS adapter's contract and command
// tests: versions counting up from 1 on every write, create-if-absent (Overwrite=false), a type
// required to create, the standard tier's 4,096-character values, not-found, paginated reads that
// may return fewer than MaxResults, 100 versions of history, and throttling on demand.

/** SSM's standard tier: "a maximum parameter value of 4096 characters" (its ValidationException). */
const STANDARD_VALUE_MAX = 4096;

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

  constructor() {
    const throttled = (operation: string): void => {
      const left = this.throttle.get(operation) ?? 0;
      if (left > 0) {
        this.throttle.set(operation, left - 1);
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
      }
    };
    const latest = (name: string): Version => {
      const versions = this.params.get(name);
      const top = versions?.at(-1);
      if (!top) throw new ParameterNotFound({ message: `parameter ${name} not found`, $metadata: {} });
      return top;
    };
    const m = this.mock;
    m.on(GetParameterCommand).callsFake((input: GetParameterCommandInput) => {
      throttled('GetParameter');
      const top = latest(input.Name ?? '');
      return { Parameter: { Name: input.Name, Value: top.value, Version: top.version, Type: top.type } };
    });
    m.on(PutParameterCommand).callsFake((input: PutParameterCommandInput) => {
      throttled('PutParameter');
      const name = input.Name ?? '';
      this.beforePut?.(name);
      const versions = this.params.get(name) ?? [];
      if (versions.length > 0 && !input.Overwrite) throw new ParameterAlreadyExists({ message: 'The parameter already exists.', $metadata: {} });
      if (versions.length === 0 && !input.Type) {
        throw Object.assign(new Error('A parameter type is required when you create a parameter.'), { name: 'ValidationException', $metadata: {} });
      }
      if ((input.Tier ?? 'Standard') === 'Standard' && [...(input.Value ?? '')].length > STANDARD_VALUE_MAX) {
        throw Object.assign(new Error(`Standard tier parameters support a maximum parameter value of ${STANDARD_VALUE_MAX} characters.`), { name: 'ValidationException', $metadata: {} });
      }
      const version = (versions.at(-1)?.version ?? 0) + 1;
      versions.push({ value: input.Value ?? '', version, type: input.Type ?? versions.at(-1)?.type ?? 'String' });
      this.params.set(name, versions.slice(-100));
      this.writes.push(name);
      return { Version: version, Tier: 'Standard' };
    });
    m.on(GetParametersByPathCommand).callsFake((input: GetParametersByPathCommandInput) => {
      throttled('GetParametersByPath');
      const names = [...this.params.keys()].filter((n) => n.startsWith(`${input.Path}/`)).sort();
      const start = Number(input.NextToken ?? 0);
      const size = Math.min(input.MaxResults ?? 10, 3); // "best-effort": pages may be short
      const page = names.slice(start, start + size);
      return {
        Parameters: page.map((n) => ({ Name: n, Value: latest(n).value, Version: latest(n).version })),
        NextToken: start + size < names.length ? String(start + size) : undefined,
      };
    });
    m.on(GetParameterHistoryCommand).callsFake((input: GetParameterHistoryCommandInput) => {
      const versions = this.params.get(input.Name ?? '') ?? [];
      const start = Number(input.NextToken ?? 0);
      const size = Math.min(input.MaxResults ?? 50, 4);
      return {
        Parameters: versions.slice(start, start + size).map((v) => ({ Name: input.Name, Value: v.value, Version: v.version })),
        NextToken: start + size < versions.length ? String(start + size) : undefined,
      };
    });
  }

  set(name: string, value: string, type = 'String'): void {
    const versions = this.params.get(name) ?? [];
    versions.push({ value, version: (versions.at(-1)?.version ?? 0) + 1, type });
    this.params.set(name, versions);
  }
}
