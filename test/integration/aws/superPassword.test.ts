import { describe, expect, it } from 'vitest';
import { SsmStateStore } from '../../../lib/adapters/aws/ssmStateStore.js';
import { InvalidInputError, NotFoundError } from '../../../lib/errors.js';
import { FakeSsm } from '../../support/fakeSsm.js';

// The super password is the one credential that bypasses every ACL of an ensemble: the store takes
// it only from a SecureString long enough not to be guessed from its digest.

const PREFIX = '/zk-autoscaler/zk-autoscaler-prod';
const NAME = `${PREFIX}/orders/super-password`;
const GOOD = 'kR4v9pT2mX7wQ1zL8sD3fG6h'; // 24 characters

function store(value?: string, type?: string): SsmStateStore {
  const ssm = new FakeSsm();
  if (value !== undefined) ssm.set(NAME, value, type);
  return new SsmStateStore(ssm.client, PREFIX, { attempts: 1, baseDelayMs: 1, sleep: async () => undefined });
}

describe('the super password parameter', () => {
  it('is read from a SecureString of at least 24 characters under the deployment\'s prefix', async () => {
    expect(await store(GOOD, 'SecureString').readSuperPassword('orders')).toBe(GOOD);
  });

  it('is refused as a plain String, naming the parameter and the fix', async () => {
    const err = await store(GOOD, 'String').readSuperPassword('orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(NAME);
    expect((err as Error).message).toContain('type: must be SecureString (got "String")');
  });

  it('is refused when shorter than 24 characters', async () => {
    const err = await store(GOOD.slice(0, 23), 'SecureString').readSuperPassword('orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(`super password parameter ${NAME}`);
    expect((err as Error).message).toContain('value: must be at least 24 characters (got 23)');
  });

  it('is reported missing with the command that creates it', async () => {
    await expect(store().readSuperPassword('orders')).rejects.toThrow(NotFoundError);
    await expect(store().readSuperPassword('orders')).rejects.toThrow('aws ssm put-parameter --type SecureString');
  });
});
